"""goodword.people.locks: person row locks, taken in primary-key order."""

from __future__ import annotations

import pytest
from django.db import transaction

from goodword.people.locks import people_lock
from tests.conftest import is_postgres
from tests.factories import PersonFactory, SiteFactory
from tests.roundtrips import statements

pytestmark = pytest.mark.django_db


def test_people_are_locked_in_primary_key_order_whatever_the_order_asked():
    # given three people of a site, asked for last first, with a repeat and an unknown id
    site = SiteFactory()
    first, second, third = (PersonFactory(site=site) for _ in range(3))
    asked = [third.pk, first.pk, third.pk, second.pk, third.pk + 1000]

    # when they are locked
    with transaction.atomic(), statements() as seen:
        locked = people_lock(ids=asked)

    # then they come once each in primary-key order, from one statement that locks them
    assert [p.pk for p in locked] == [first.pk, second.pk, third.pk]
    (sql,) = seen
    assert "ORDER BY" in sql
    assert ("FOR UPDATE" in sql) == is_postgres()
