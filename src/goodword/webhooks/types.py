"""The webhook types, in the contract's order, and what a delivery is about. Plain Python: the
command-line parser needs them before Django is set up (models.HookType holds the same list; a
test keeps them equal)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

HOOK_TYPES = (
    "referral_web_hook",
    "reward_web_hook",
    "post_share_web_hook",
    "event_web_hook",
    "offer_signup_web_hook",
    "claim_signup_web_hook",
    "unsubscribe_web_hook",
    "check_unsubscribe_web_hook",
    "create_coupon_web_hook",
    "coupon_list_low_web_hook",
)

# Types Goodword adds to Talkable's: no Talkable receiver expects them (docs/webhooks.md).
EXTENSION_TYPES = frozenset({"coupon_list_low_web_hook"})

# The worker job a delivered `referral_web_hook` about a referral leaves behind, in the
# transaction that records it: the fact "the merchant has heard of this referral", for whoever
# waits for it (rewards/jobs.py pays the referral's rewards that waited). ref_id: the referral.
REFERRAL_WEBHOOK_DELIVERED = "referral_webhook_delivered"


class SubjectKind(StrEnum):
    REFERRAL = "referral"
    OFFER = "offer"
    ORIGIN = "origin"
    CLAIM = "claim"
    PERSON = "person"
    SHARE_RECIPIENT = "share_recipient"


@dataclass(frozen=True)
class Subject:
    """What a delivery is about. Deliveries about one subject go out in the order they were
    made. The database keeps `key` ("referral:123"); `from_key` is its only inverse."""

    kind: SubjectKind
    id: int

    @property
    def key(self) -> str:
        return f"{self.kind.value}:{self.id}"

    @classmethod
    def referral(cls, referral_id: int) -> Subject:
        return cls(SubjectKind.REFERRAL, referral_id)

    @classmethod
    def from_key(cls, key: str | None) -> Subject | None:
        """The subject a stored key names; None for no key or one not made by `key` (a
        delivery stored by hand, say)."""
        kind, _, ident = (key or "").partition(":")
        if kind not in SubjectKind.__members__.values() or not ident.isdigit():
            return None
        return cls(SubjectKind(kind), int(ident))
