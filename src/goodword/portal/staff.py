"""Staff accounts: creating users and their site roles (the `goodword staff` command), the demo
agent of `goodword run`, and the failed-login limit."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import QuerySet

from goodword.core.clock import now
from goodword.core.errors import DomainError, ValidationFailed
from goodword.portal.models import LoginFailure, Role, StaffMembership
from goodword.sites.models import Site

# Failed logins: this many for one account name within the window lock it until the window
# has passed since the last of them; an address gets a larger allowance (several people may
# share it), which stops one machine from trying many accounts.
LOCK_FAILURES = 5
LOCK_IP_FAILURES = 20
LOCK_WINDOW = timedelta(minutes=15)
# The email is the Django user name, which holds this many characters.
USERNAME_MAX = 150


@dataclass(frozen=True)
class StaffAdded:
    email: str
    site_slug: str
    role: str
    created: bool
    password: str | None  # the generated one-time password, shown once; None when given


def _generated_password() -> str:
    return secrets.token_urlsafe(12)


def staff_add(
    *,
    email: str,
    site_slug: str,
    role: str,
    password: str | None = None,
    reset_password: bool = False,
) -> StaffAdded:
    """Create or update a staff user (the email is the user name) and give them `role` on the
    site. Without `password`, a new user (or, with `reset_password`, an existing one) gets a
    generated one, returned once; an existing user otherwise keeps theirs. With `password`, it
    is set after Django's password validators accept it. A password set lifts a lockout."""
    email = email.strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationFailed("email_invalid", f"{email!r} is not an email address") from None
    if len(email) > USERNAME_MAX:
        raise ValidationFailed(
            "email_invalid", f"A staff email has at most {USERNAME_MAX} characters"
        )
    if role not in Role.values:
        raise ValidationFailed(
            "role_invalid", f"role must be one of {', '.join(Role.values)}, not {role!r}"
        )
    site = Site.objects.filter(slug=site_slug).first()
    if site is None:
        raise DomainError("site_not_found", f"No site {site_slug!r}")
    user_model = get_user_model()
    with transaction.atomic():
        user = user_model.objects.select_for_update().filter(username=email).first()
        created = user is None
        if user is None:
            user = user_model(username=email, email=email)
        generated = None
        if password is None and (created or reset_password):
            password = generated = _generated_password()
        if password is not None:
            try:
                validate_password(password, user)
            except ValidationError as exc:
                raise ValidationFailed("password_invalid", " ".join(exc.messages)) from None
            user.set_password(password)
            LoginFailure.objects.filter(username=email).delete()
        user.is_active = True
        user.save()
        StaffMembership.objects.update_or_create(
            user=user, site=site, defaults={"role": role, "created_at": now()}
        )
    return StaffAdded(
        email=email, site_slug=site.slug, role=role, created=created, password=generated
    )


def staff_list(*, site_slug: str | None = None) -> list[dict[str, object]]:
    """Every staff user (or those of one site) with their sites and roles."""
    qs = StaffMembership.objects.select_related("user", "site").order_by(
        "user__username", "site__slug"
    )
    if site_slug is not None:
        qs = qs.filter(site__slug=site_slug)
    users: dict[int, dict[str, object]] = {}
    for m in qs:
        entry = users.setdefault(
            m.user_id,
            {
                "email": m.user.username,
                "active": m.user.is_active,
                "last_login": m.user.last_login,
                "sites": [],
            },
        )
        entry["sites"].append({"site_slug": m.site.slug, "role": m.role})  # type: ignore[attr-defined]
    return list(users.values())


# ---- the failed-login limit -----------------------------------------------------------------


def login_locked_for(*, username: str, ip_address: str | None) -> timedelta | None:
    """How long logins for this account name (or from this address) stay refused, or None."""
    since = now() - LOCK_WINDOW
    name = username.strip().lower()
    locked = _lock_left(
        LoginFailure.objects.filter(username=name, created_at__gte=since), LOCK_FAILURES
    )
    if locked is None and ip_address:
        locked = _lock_left(
            LoginFailure.objects.filter(ip_address=ip_address, created_at__gte=since),
            LOCK_IP_FAILURES,
        )
    return locked


def _lock_left(failures: QuerySet[LoginFailure], most: int) -> timedelta | None:
    """With `most` failures in the window, logins stay refused until the latest of them is
    LOCK_WINDOW old."""
    recent = list(failures.order_by("-created_at").values_list("created_at", flat=True)[:most])
    return recent[0] + LOCK_WINDOW - now() if len(recent) >= most else None


def login_failed(*, username: str, ip_address: str | None) -> None:
    LoginFailure.objects.create(
        username=username.strip().lower()[:254], ip_address=ip_address, created_at=now()
    )


def login_succeeded(*, username: str) -> None:
    """A good password clears the account's failures (old rows go with them)."""
    LoginFailure.objects.filter(username=username.strip().lower()).delete()
    LoginFailure.objects.filter(created_at__lt=now() - LOCK_WINDOW).delete()


DEMO_AGENT = "agent@demo.example"


def staff_demo_ensure(*, site_slug: str, password_file: Path) -> tuple[str, str]:
    """The demo site's agent and their password, kept in `password_file` (like the demo API key)
    so that `goodword run` can print it on every start. Made once; a lost or changed password
    is set anew."""
    from django.contrib.auth import authenticate

    if password_file.exists():
        raw = password_file.read_text().strip()
        user = authenticate(username=DEMO_AGENT, password=raw)
        if (
            user is not None
            and StaffMembership.objects.filter(user=user, site__slug=site_slug).exists()
        ):
            return DEMO_AGENT, raw
    raw = _generated_password()
    staff_add(email=DEMO_AGENT, site_slug=site_slug, role=Role.AGENT, password=raw)
    password_file.parent.mkdir(parents=True, exist_ok=True)
    password_file.write_text(raw)
    password_file.chmod(0o600)
    return DEMO_AGENT, raw
