"""The referral status table (ENGINE.md): every from x to pair, legal or refused."""

from __future__ import annotations

import pytest

from goodword.api.v2.errors import http_status
from goodword.core.errors import DomainError
from goodword.referrals.transitions import FINAL, REVIEWABLE, TRANSITIONS, check_transition
from tests.referrals.statuses import ENGINE_MOVES, FINALS, LEGAL, PAIRS, STATUSES

LEGAL_PAIRS = sorted(LEGAL)
ILLEGAL_PAIRS = [pair for pair in PAIRS if pair not in LEGAL]


def pair_id(pair: tuple[str, str]) -> str:
    return f"{pair[0]}->{pair[1]}"


def test_the_table_covers_every_status_and_no_other():
    assert set(TRANSITIONS) == set(STATUSES)
    assert all(targets <= set(STATUSES) for targets in TRANSITIONS.values())


def test_the_table_is_exactly_the_legal_moves():
    table = {(a, b) for a, targets in TRANSITIONS.items() for b in targets}

    assert table == LEGAL


def test_every_move_engine_md_names_is_legal():
    assert ENGINE_MOVES <= LEGAL
    for current, target in ENGINE_MOVES:
        check_transition(current, target)


def test_the_named_status_sets():
    assert FINAL == FINALS
    assert set(REVIEWABLE) == {"pending", "flagged"}


@pytest.mark.parametrize("pair", LEGAL_PAIRS, ids=[pair_id(p) for p in LEGAL_PAIRS])
def test_a_legal_move_passes(pair: tuple[str, str]):
    current, target = pair

    assert check_transition(current, target) is None


@pytest.mark.parametrize("pair", ILLEGAL_PAIRS, ids=[pair_id(p) for p in ILLEGAL_PAIRS])
def test_an_illegal_move_is_refused_with_a_stable_code(pair: tuple[str, str]):
    current, target = pair

    with pytest.raises(DomainError) as refused:
        check_transition(current, target)

    assert refused.value.code == "illegal_transition"
    assert http_status(refused.value) == 400
    # the message names both statuses, for the merchant's engineer reading it
    assert current in refused.value.message and target in refused.value.message


@pytest.mark.parametrize("pair", [("approved", "voided"), ("voided", "approved")], ids=pair_id)
def test_a_final_status_refuses_its_opposite_saying_it_is_final(pair: tuple[str, str]):
    current, target = pair

    with pytest.raises(DomainError) as refused:
        check_transition(current, target)

    assert refused.value.code == "illegal_transition"
    assert refused.value.message == (
        f"Referral is already {current} and cannot be changed to {target}"
    )


@pytest.mark.parametrize("final", sorted(FINALS))
def test_a_final_status_goes_nowhere(final: str):
    assert TRANSITIONS[final] == frozenset()


@pytest.mark.parametrize("status", STATUSES)
def test_nothing_moves_back_to_in_progress(status: str):
    assert "in_progress" not in TRANSITIONS[status]


def test_blocked_can_only_be_unblocked_to_pending():
    check_transition("blocked", "pending")

    for target in ("approved", "voided", "flagged"):
        with pytest.raises(DomainError):
            check_transition("blocked", target)


def test_the_table_never_lists_a_status_as_its_own_move():
    # setting the current status again is a no-op handled before the table (see the API tests)
    assert all(status not in TRANSITIONS[status] for status in STATUSES)
