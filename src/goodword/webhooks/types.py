"""The webhook types, in the contract's order. Plain Python: the command-line parser needs them
before Django is set up (models.HookType holds the same list; a test keeps them equal)."""

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
)
