"""goodword.referrals.locks: referral row locks, taken in primary-key order."""

from __future__ import annotations

import pytest
from django.db import transaction

from goodword.referrals.locks import referrals_lock, referrals_lock_for_origins
from goodword.referrals.models import Referral
from tests.conftest import ApiClient, is_postgres
from tests.roundtrips import statements
from tests.worker.support import friend_program, friends_buy

pytestmark = pytest.mark.django_db


@pytest.fixture
def referrals(api_site) -> list[Referral]:
    """Three referred purchases, in creation (primary-key) order."""
    api = ApiClient(api_site.key)
    uuid = friend_program(api, api_site.site)
    friends_buy(api, api_site.slug, uuid, 3)
    made = list(Referral.objects.order_by("pk"))
    assert len(made) == 3
    return made


def test_referrals_are_locked_in_primary_key_order_whatever_the_order_asked(referrals):
    # given three referrals, asked for last first and with a repeat and an unknown id
    first, second, third = referrals
    asked = [third.pk, first.pk, second.pk, third.pk, third.pk + 1000]

    # when they are locked
    with transaction.atomic(), statements() as seen:
        locked = referrals_lock(ids=asked)

    # then they come in primary-key order, in one statement that locks (on PostgreSQL)
    assert [r.pk for r in locked] == [first.pk, second.pk, third.pk]
    (sql,) = seen
    assert "ORDER BY" in sql
    assert ("FOR UPDATE" in sql) == is_postgres()


def test_referrals_of_origins_are_locked_in_primary_key_order(referrals):
    # given the three referrals' origins, last first
    first, second, third = referrals
    origins = [third.origin_id, first.origin_id, second.origin_id]

    # when their referrals are locked
    with transaction.atomic(), statements() as seen:
        locked = referrals_lock_for_origins(origin_ids=origins)

    # then they come in the referrals' primary-key order, in one locking statement
    assert [r.pk for r in locked] == [first.pk, second.pk, third.pk]
    (sql,) = seen
    assert ("FOR UPDATE" in sql) == is_postgres()


def test_no_ids_lock_nothing(referrals):
    with transaction.atomic():
        assert referrals_lock(ids=[]) == []
        assert referrals_lock_for_origins(origin_ids=[]) == []
