"""The referral status table as ENGINE.md states it, written out independently of src/."""

from __future__ import annotations

STATUSES = ["in_progress", "blocked", "flagged", "pending", "approved", "voided"]
FINALS = {"approved", "voided"}
# What the Referrals API accepts in `data.status` (the contract's enum).
SETTABLE = ["pending", "flagged", "approved", "voided", "blocked"]

# ENGINE.md, "Referral statuses and transitions".
ENGINE_MOVES = {
    ("in_progress", "blocked"),  # a block policy fired
    ("in_progress", "flagged"),  # a flag policy fired
    ("in_progress", "pending"),  # passed screening
    ("blocked", "pending"),  # staff unblock it
    ("pending", "approved"),
    ("pending", "voided"),
    ("flagged", "approved"),
    ("flagged", "voided"),
}
# Moves ENGINE.md is silent on that a merchant would expect staff (and the API, whose status
# enum lists them) to make: send a pending referral to review, clear a flagged one back to
# pending, block either once fraud is found.
HOUSE_MOVES = {
    ("pending", "flagged"),
    ("pending", "blocked"),
    ("flagged", "pending"),
    ("flagged", "blocked"),
}
LEGAL = ENGINE_MOVES | HOUSE_MOVES
PAIRS = [(a, b) for a in STATUSES for b in STATUSES if a != b]
