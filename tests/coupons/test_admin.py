"""The coupon admin: codes are shown, never handed out from there. (Every model's list page is
checked with the other apps' in tests/campaigns/test_admin.py.)"""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from tests.factories import CouponFactory


@pytest.fixture
def staff(db) -> Client:
    user = get_user_model().objects.create_superuser("admin", "admin@example.com", "pw")
    client = Client()
    client.force_login(user)
    return client


def test_a_coupon_page_shows_it_without_letting_claimed_at_be_edited(staff):
    coupon = CouponFactory(code="F-1")

    response = staff.get(reverse("admin:coupons_coupon_change", args=[coupon.pk]))

    assert response.status_code == 200
    assert b"F-1" in response.content
    assert b'name="claimed_at' not in response.content
