"""Subject: what a delivery is about, stored as its key and read back only by from_key."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from goodword.webhooks.types import Subject, SubjectKind


def test_a_referral_subject_keys_as_the_docs_show_it():
    assert Subject.referral(123).key == "referral:123"
    assert Subject(SubjectKind.CLAIM, 4).key == "claim:4"


@given(kind=st.sampled_from(list(SubjectKind)), ident=st.integers(min_value=0, max_value=2**63))
def test_a_key_reads_back_as_its_subject(kind, ident):
    subject = Subject(kind, ident)
    assert Subject.from_key(subject.key) == subject
    assert len(subject.key) <= 100  # the column's width


def test_a_key_not_made_by_a_subject_reads_as_none():
    for key in (None, "", "s", "referral", "referral:", "referral:x", "coupon:1", "referral:-1"):
        assert Subject.from_key(key) is None
