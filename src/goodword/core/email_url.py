"""`EMAIL_URL`: the outgoing mail server as one URL, the way DATABASE_URL names the database.

    smtp://user:pass@host:25        plain SMTP (port 25 unless given)
    smtp+tls://user:pass@host:587   SMTP upgraded with STARTTLS (port 587 unless given)
    smtps://user:pass@host:465      SMTP over TLS from the first byte (port 465 unless given)
    console://                      print each mail on stdout (the default: nothing leaves)

User name and password are percent-decoded (`%40` for an `@` in a user name). `?timeout=N`
sets the connection timeout in seconds (default 10).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
CONSOLE_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_TIMEOUT = 10.0
_PORTS = {"smtp": 25, "smtp+tls": 587, "smtps": 465}


def parse_email_url(url: str) -> dict[str, Any]:
    """Django's EMAIL_* settings for the URL; ValueError saying what is wrong."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme == "console":
        return {"EMAIL_BACKEND": CONSOLE_BACKEND}
    if scheme not in _PORTS:
        raise ValueError(
            f"EMAIL_URL must start with smtp://, smtp+tls://, smtps:// or console://, "
            f"not {scheme + '://' if scheme else repr(url)}"
        )
    if not parts.hostname:
        raise ValueError("EMAIL_URL has no host")
    try:
        port = parts.port or _PORTS[scheme]
    except ValueError:
        raise ValueError("EMAIL_URL has an invalid port") from None
    timeout = DEFAULT_TIMEOUT
    query = parse_qs(parts.query)
    if "timeout" in query:
        try:
            timeout = float(query["timeout"][-1])
        except ValueError:
            raise ValueError("EMAIL_URL's timeout must be a number of seconds") from None
        if timeout <= 0:
            raise ValueError("EMAIL_URL's timeout must be positive")
    return {
        "EMAIL_BACKEND": SMTP_BACKEND,
        "EMAIL_HOST": parts.hostname,
        "EMAIL_PORT": port,
        "EMAIL_HOST_USER": unquote(parts.username or ""),
        "EMAIL_HOST_PASSWORD": unquote(parts.password or ""),
        "EMAIL_USE_TLS": scheme == "smtp+tls",
        "EMAIL_USE_SSL": scheme == "smtps",
        "EMAIL_TIMEOUT": timeout,
    }
