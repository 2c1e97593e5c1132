"""Portal test helpers: staff users, signed-in clients, and a flagged referral made through the
real API (advocate joins, friend clicks, friend buys)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.test import Client

from goodword.portal.access import Staff
from goodword.portal.models import StaffMembership
from goodword.portal.staff import staff_add
from goodword.referrals.models import Referral
from goodword.sites.models import Site
from tests.referrals.program import build_program, buy, friend_clicks, join, referral_of

ADVOCATE = "john.doe@gmail.com"
FRIEND = "johndoe+x@gmail.com"  # the same mailbox: the similar-email policy flags it
PASSWORD = "Plenty-of-entropy-42"


def make_staff(site: Site, role: str, email: str | None = None) -> Any:
    """A staff user with `role` on `site` (and the PASSWORD)."""
    email = email or f"{role}-{site.slug}@staff.example.com"
    staff_add(email=email, site_slug=site.slug, role=role, password=PASSWORD)
    return get_user_model().objects.get(username=email)


def staff_of(user: Any, site: Site) -> Staff:
    membership = StaffMembership.objects.get(user=user, site=site)
    return Staff(user=user, site=site, role=membership.role)


def client_for(user: Any, *, csrf: bool = False) -> Client:
    client = Client(enforce_csrf_checks=csrf)
    client.force_login(user)
    return client


def flagged_referral(
    api: Any, site: Site, order: str = "FLAG-1", *, program: bool = True
) -> Referral:
    """A friend of the advocate buys through the advocate's claim link with an email that
    reaches the advocate's own mailbox: flagged by the similar-email policy."""
    if program:
        build_program(site)
    joined = join(api, site.slug, email=ADVOCATE)
    _, uuid = friend_clicks(joined["offer"]["claim_url"])
    buy(api, site.slug, order, FRIEND, uuid=uuid)
    referral = referral_of(order)
    assert referral is not None and referral.status == "flagged", referral
    return referral


def pending_referral(api: Any, site: Site, order: str, email: str, advocate: str) -> Referral:
    """An honest referral on a program already built: pending."""
    joined = join(api, site.slug, email=advocate)
    _, uuid = friend_clicks(joined["offer"]["claim_url"])
    buy(api, site.slug, order, email, uuid=uuid)
    referral = referral_of(order)
    assert referral is not None and referral.status == "pending", referral
    return referral
