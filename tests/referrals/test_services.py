"""goodword.referrals.services: status moves, single or in a batch, pass one transition table."""

from __future__ import annotations

import pytest
from django.db import transaction

from goodword.core.errors import DomainError
from goodword.referrals.locks import referrals_lock
from goodword.referrals.models import Referral, ReferralEvent
from goodword.referrals.services import ENGINE, referral_transition, referrals_transition
from tests.conftest import ApiClient
from tests.worker.support import friend_program, friends_buy

pytestmark = pytest.mark.django_db


@pytest.fixture
def pending(api_site) -> list[Referral]:
    """Two pending referrals."""
    api = ApiClient(api_site.key)
    uuid = friend_program(api, api_site.site)
    friends_buy(api, api_site.slug, uuid, 2)
    made = list(Referral.objects.order_by("pk"))
    assert [r.status for r in made] == ["pending", "pending"]
    return made


def statuses() -> list[str]:
    return list(Referral.objects.order_by("pk").values_list("status", flat=True))


def test_a_batch_with_an_illegal_move_is_refused_whole(pending):
    # given one approved referral and one still pending
    with transaction.atomic():
        first, second = referrals_lock(ids=[r.pk for r in pending])
        referral_transition(referral=first, to_status="approved", actor=ENGINE)
    events = ReferralEvent.objects.count()

    # when a batch would void the pending one and move the approved one back to pending
    with pytest.raises(DomainError) as refused, transaction.atomic():
        first, second = referrals_lock(ids=[r.pk for r in pending])
        referrals_transition(
            moves=[(second, "voided", "refund"), (first, "pending", "unapprove")], actor=ENGINE
        )

    # then the transition table refuses it and nothing of the batch is stored
    assert refused.value.code == "illegal_transition"
    assert statuses() == ["approved", "pending"]
    assert ReferralEvent.objects.count() == events


def test_a_batch_of_legal_moves_applies_each_and_skips_repeats(pending):
    # given two pending referrals
    events = ReferralEvent.objects.count()

    # when a batch flags one and sets the other to pending again (a no-op)
    with transaction.atomic():
        first, second = referrals_lock(ids=[r.pk for r in pending])
        referrals_transition(
            moves=[(first, "flagged", "review"), (second, "pending", "again")], actor=ENGINE
        )

    # then only the real move is stored, with its one event
    assert statuses() == ["flagged", "pending"]
    assert ReferralEvent.objects.count() == events + 1
    last = ReferralEvent.objects.order_by("pk").last()
    assert (last.referral_id, last.from_status, last.to_status) == (first.pk, "pending", "flagged")
