"""Refused targets: non-http(s) URLs, and hosts that resolve to loopback, private, link-local,
reserved or metadata addresses, unless the site allows private targets (metadata never). The
address checked is the address connected to."""

from __future__ import annotations

import ipaddress
import socket

import pytest

from goodword.webhooks import transport
from goodword.webhooks.models import Delivery, DeliveryAttempt
from goodword.webhooks.services import webhook_emit
from goodword.worker.loop import drain
from tests.factories import SiteFactory
from tests.webhooks.support import subscribe

EVENT = "event_web_hook"

REFUSED = [
    "127.0.0.1",
    "127.5.5.5",
    "::1",
    "10.0.0.1",
    "172.16.3.4",
    "192.168.1.1",
    "169.254.10.10",
    "169.254.169.254",
    "fd00:ec2::254",
    "fe80::1",
    "fc00::5",
    "100.64.0.1",
    "0.0.0.0",  # noqa: S104 - an address refused, not bound
    "::",
    "224.0.0.1",
    "240.0.0.1",
    "::ffff:127.0.0.1",
    "::ffff:10.1.2.3",
]


@pytest.mark.parametrize("address", REFUSED)
def test_internal_addresses_are_refused(address):
    assert transport.address_refusal(ipaddress.ip_address(address), allow_private=False)


@pytest.mark.parametrize("address", ["93.184.216.34", "2606:2800:220:1::1", "8.8.8.8"])
def test_public_addresses_are_allowed(address):
    assert transport.address_refusal(ipaddress.ip_address(address), allow_private=False) is None


@pytest.mark.parametrize("address", ["127.0.0.1", "10.0.0.1", "fe80::1", "192.168.0.9"])
def test_allowing_private_targets_lifts_the_refusal(address):
    assert transport.address_refusal(ipaddress.ip_address(address), allow_private=True) is None


@pytest.mark.parametrize(
    "address",
    ["169.254.169.254", "fd00:ec2::254", "::ffff:169.254.169.254", "0.0.0.0"],  # noqa: S104
)
def test_metadata_and_unspecified_addresses_are_refused_even_when_private_is_allowed(address):
    assert transport.address_refusal(ipaddress.ip_address(address), allow_private=True)


# Every cloud metadata address, and the IPv6 forms that carry one (mapped, compatible, 6to4,
# Teredo, NAT64): refused whatever the site allows.
METADATA = [
    "169.254.169.254",  # AWS, GCP, Azure
    "169.254.170.2",  # ECS task credentials
    "169.254.0.1",  # link-local, all of it
    "169.254.255.254",
    "100.100.100.200",  # Alibaba
    "192.0.0.192",  # Oracle
    "fd00:ec2::254",  # AWS over IPv6
    "::ffff:169.254.169.254",
    "::ffff:100.100.100.200",
    "::169.254.169.254",  # IPv4-compatible
    "::192.0.0.192",
    "2002:a9fe:a9fe::",  # 6to4 of 169.254.169.254
    "2002:a9fe:aa02:1::1",  # 6to4 of 169.254.170.2
    "2002:6464:64c8::",  # 6to4 of 100.100.100.200
    "2001:0:4136:e378:8000:63bf:5601:5601",  # Teredo, client 169.254.169.254 (bits inverted)
    "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254
    "64:ff9b::c000:c0",  # NAT64 of 192.0.0.192
    "64:ff9b::6464:64c8",  # NAT64 of 100.100.100.200
    "0.1.2.3",  # this host, on Linux
]


@pytest.mark.parametrize("address", METADATA)
@pytest.mark.parametrize("allow_private", [True, False], ids=["private-allowed", "default"])
def test_every_metadata_address_and_its_ipv6_forms_are_always_refused(address, allow_private):
    assert transport.address_refusal(ipaddress.ip_address(address), allow_private=allow_private)


@pytest.mark.parametrize(
    "address",
    [
        "2002:7f00:1::",  # 6to4 of 127.0.0.1
        "2002:a00:1::",  # 6to4 of 10.0.0.1
        "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
        "64:ff9b::a00:1",  # NAT64 of 10.0.0.1
        "64:ff9b:1::a00:1",  # local-use NAT64
        "::127.0.0.1",  # IPv4-compatible
        "::10.0.0.1",
        "2001:0:4136:e378:8000:63bf:80ff:fffe",  # Teredo, client 127.0.0.1
    ],
)
def test_ipv6_addresses_carrying_a_private_ipv4_are_refused_by_default(address):
    assert transport.address_refusal(ipaddress.ip_address(address), allow_private=False)


@pytest.mark.parametrize(
    "address", ["2002:5db8:d822::1", "64:ff9b::5db8:d822", "::ffff:93.184.216.34"]
)
def test_ipv6_addresses_carrying_a_public_ipv4_are_allowed(address):
    # 6to4, NAT64 and mapped forms of 93.184.216.34
    assert transport.address_refusal(ipaddress.ip_address(address), allow_private=False) is None


def test_the_embedded_address_is_read_from_each_form():
    embedded = {
        "::ffff:1.2.3.4": "1.2.3.4",
        "::1.2.3.4": "1.2.3.4",
        "2002:102:304::": "1.2.3.4",
        "2001:0:4136:e378:8000:63bf:fefd:fcfb": "1.2.3.4",
        "64:ff9b::102:304": "1.2.3.4",
        "::1": None,
        "::": None,
        "2606:2800:220:1::1": None,
    }
    for v6, v4 in embedded.items():
        found = transport.embedded_ipv4(ipaddress.IPv6Address(v6))
        assert (str(found) if found else None) == v4, v6


@pytest.mark.parametrize(
    "url", ["ftp://example.com/x", "file:///etc/passwd", "gopher://x", "//example.com", "https://"]
)
def test_only_http_and_https_urls_are_sent_to(url):
    with pytest.raises(transport.TargetRefused):
        transport.check_url(url)


@pytest.fixture
def site(db, frozen_now):
    return SiteFactory()


def test_the_receiver_on_loopback_is_refused_without_the_setting(site, receiver):
    # given a subscription to 127.0.0.1 on a site that does not allow private targets
    subscribe(site, receiver.url, EVENT, allow_private=False)
    webhook_emit(site_id=site.pk, hook_type=EVENT, payload={})
    drain()
    # then nothing was sent, and the delivery failed at once with the reason
    assert receiver.received == []
    delivery = Delivery.objects.get()
    assert delivery.status == "failed" and "loopback" in delivery.last_error
    assert "loopback" in DeliveryAttempt.objects.get().error


def test_a_non_http_url_stored_anyway_fails_at_send_time(site):
    subscribe(site, "ftp://files.example.com/hook", EVENT)
    webhook_emit(site_id=site.pk, hook_type=EVENT, payload={})
    drain()
    delivery = Delivery.objects.get()
    assert delivery.status == "failed" and "only http and https" in delivery.last_error


def _fake_dns(monkeypatch, answers):
    """Names resolve from `answers` (a list per name, consumed call by call); IP literals as
    themselves. Returns the calls made."""
    real = socket.getaddrinfo
    calls = []

    def getaddrinfo(host, port, *args, **kwargs):
        calls.append(host)
        if host in answers:
            queue = answers[host]
            address = queue.pop(0) if len(queue) > 1 else queue[0]
            family = socket.AF_INET6 if ":" in address else socket.AF_INET
            return [(family, socket.SOCK_STREAM, 6, "", (address, port))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return calls


def test_a_name_resolving_to_a_private_address_is_refused(site, receiver, monkeypatch):
    _fake_dns(monkeypatch, {"intranet.example.test": ["10.9.8.7"]})
    subscribe(site, f"http://intranet.example.test:{receiver.port}/h", EVENT, allow_private=False)
    webhook_emit(site_id=site.pk, hook_type=EVENT, payload={})
    drain()
    assert Delivery.objects.get().status == "failed"
    assert "10.9.8.7" in Delivery.objects.get().last_error


def test_the_connection_goes_to_the_address_that_was_checked(site, receiver, monkeypatch):
    # given a name that answers 127.0.0.1 once, then the metadata address (DNS rebinding)
    calls = _fake_dns(monkeypatch, {"hooks.example.test": ["127.0.0.1", "169.254.169.254"]})
    subscribe(site, f"http://hooks.example.test:{receiver.port}/h", EVENT)
    webhook_emit(site_id=site.pk, hook_type=EVENT, payload={})
    drain()
    # then the name was resolved once and the request reached the checked address
    assert calls.count("hooks.example.test") == 1
    assert len(receiver.received) == 1
    assert receiver.received[0].headers["host"] == f"hooks.example.test:{receiver.port}"
    assert Delivery.objects.get().status == "delivered"
