"""EMAIL_URL: the outgoing mail server as one URL."""

from __future__ import annotations

import pytest

from goodword.core.email_url import CONSOLE_BACKEND, SMTP_BACKEND, parse_email_url


def test_console_sends_nothing_anywhere():
    assert parse_email_url("console://") == {"EMAIL_BACKEND": CONSOLE_BACKEND}


@pytest.mark.parametrize(
    ("url", "host", "port", "tls", "ssl"),
    [
        ("smtp://mail.example.com", "mail.example.com", 25, False, False),
        ("smtp://mail.example.com:2525", "mail.example.com", 2525, False, False),
        ("smtp+tls://mail.example.com", "mail.example.com", 587, True, False),
        ("smtps://mail.example.com", "mail.example.com", 465, False, True),
        ("SMTPS://127.0.0.1:1465", "127.0.0.1", 1465, False, True),
    ],
)
def test_scheme_picks_the_encryption_and_the_default_port(url, host, port, tls, ssl):
    parsed = parse_email_url(url)

    assert parsed["EMAIL_BACKEND"] == SMTP_BACKEND
    assert (parsed["EMAIL_HOST"], parsed["EMAIL_PORT"]) == (host, port)
    assert (parsed["EMAIL_USE_TLS"], parsed["EMAIL_USE_SSL"]) == (tls, ssl)
    assert (parsed["EMAIL_HOST_USER"], parsed["EMAIL_HOST_PASSWORD"]) == ("", "")
    assert parsed["EMAIL_TIMEOUT"] == 10.0


def test_credentials_are_percent_decoded_and_the_timeout_read():
    parsed = parse_email_url("smtp+tls://apikey%40shop:p%3Ass%2Fw@smtp.example.com?timeout=3")

    assert parsed["EMAIL_HOST_USER"] == "apikey@shop"
    assert parsed["EMAIL_HOST_PASSWORD"] == "p:ss/w"
    assert parsed["EMAIL_TIMEOUT"] == 3.0


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://mail.example.com", "EMAIL_URL must start with smtp://"),
        ("mail.example.com", "EMAIL_URL must start with smtp://"),
        ("smtp://", "EMAIL_URL has no host"),
        ("smtp://mail.example.com:port", "EMAIL_URL has an invalid port"),
        ("smtp://mail.example.com?timeout=soon", "EMAIL_URL's timeout must be a number"),
        ("smtp://mail.example.com?timeout=0", "EMAIL_URL's timeout must be positive"),
    ],
)
def test_a_bad_url_says_what_is_wrong(url, message):
    with pytest.raises(ValueError, match=message.replace("?", r"\?")):
        parse_email_url(url)
