"""goodword.core.http: the caller's address, only ever one the database can store."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from goodword.core.http import client_ip


@pytest.mark.parametrize(
    ("remote", "expected"),
    [
        ("198.51.100.7", "198.51.100.7"),
        ("::ffff:198.51.100.7", "198.51.100.7"),
        ("fe80::1%eth0", None),
    ],
)
def test_the_peer_address_is_taken_only_when_inet_would_take_it(settings, remote, expected):
    settings.TRUST_X_FORWARDED_FOR = False
    request = RequestFactory().get("/", REMOTE_ADDR=remote)

    assert client_ip(request) == expected


def test_a_forwarded_address_with_a_zone_index_falls_back_to_the_peer(settings):
    # given a trusted proxy that forwards a zoned IPv6 address (Python takes it, inet does not)
    settings.TRUST_X_FORWARDED_FOR = True
    request = RequestFactory().get(
        "/", REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="fe80::1%eth0, 10.0.0.1"
    )

    # then the peer's address is used instead
    assert client_ip(request) == "203.0.113.9"
