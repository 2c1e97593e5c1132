"""Validating a configuration document: defaults, durations, and every error with its location."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from goodword.config.schema import (
    CampaignSpec,
    ConfigError,
    ConfigInvalid,
    ExistingCouponList,
    _Model,
    format_duration,
    parse_duration,
    program_validate,
)
from goodword.fraud import screening
from goodword.fraud.policies import ALL_POLICIES, IP_ONLY, SIMILAR_EMAIL
from tests.config.conftest import example_document, minimal_document

# -- durations


@pytest.mark.parametrize(
    ("written", "seconds"),
    [
        (0, 0),
        (90, 90),
        ("30s", 30),
        ("15m", 900),
        ("24h", 86400),
        ("7d", 604800),
        (" 2h ", 7200),
    ],
)
def test_durations_are_seconds_or_a_number_with_a_unit(written, seconds):
    assert parse_duration(written) == seconds


@pytest.mark.parametrize("written", [True, -1, 1.5, "1w", "h", "24 hours", "", None, 2**31])
def test_anything_else_is_not_a_duration(written):
    with pytest.raises(ValueError):
        parse_duration(written)


@pytest.mark.parametrize(
    ("seconds", "written"),
    [(0, "0s"), (45, "45s"), (5400, "90m"), (3600, "1h"), (86400, "1d"), (90000, "25h")],
)
def test_durations_are_written_in_their_largest_whole_unit(seconds, written):
    assert format_duration(seconds) == written


@given(st.integers(min_value=0, max_value=2**31 - 1))
def test_a_written_duration_reads_back_the_same(seconds):
    assert parse_duration(format_duration(seconds)) == seconds


# -- defaults


def test_a_minimal_file_takes_the_documented_defaults():
    # given a file with only a site slug
    program = program_validate({"site": {"slug": "shop"}})

    # then everything else is the default
    site = program.site
    assert (site.name, site.currency, site.base_url) == ("shop", "USD", None)
    assert (site.sticky_advocate, site.void_on_refund) == (False, True)
    fraud = program.fraud
    assert fraud.policies == screening.DEFAULT_ACTIONS
    assert list(fraud.policies) == list(ALL_POLICIES)
    assert (fraud.approval_mode, fraud.approval_delay_seconds) == ("automatic", 86400)
    assert (fraud.flagged_resolution, fraud.flagged_delay_seconds) == ("voided", 7 * 86400)
    assert program.blocklist == program.coupon_lists == program.campaigns == ()


def test_campaign_and_incentive_defaults():
    program = program_validate(minimal_document())

    campaign = program.campaigns[0]
    assert campaign.name == "invite"
    assert (campaign.status, campaign.tags, campaign.gate_email) == ("Live", (), False)
    assert (campaign.starts_at, campaign.ends_at, campaign.offer_expiry_days) == (None, None, None)
    rebate = campaign.incentives[0]
    assert rebate.amount == Decimal("10.00")
    assert (rebate.amount_type, rebate.currency, rebate.coupon_list) == ("fixed", None, None)
    assert (rebate.description, rebate.criteria) == ("", {})


def test_policies_left_out_keep_their_defaults_and_a_bare_yaml_off_means_off():
    # given two policies set, one as YAML's bare `off` (read as false)
    document = {
        "site": {"slug": "shop"},
        "fraud": {"policies": {SIMILAR_EMAIL: "block", IP_ONLY: False}},
    }

    policies = program_validate(document).fraud.policies

    assert policies == {**screening.DEFAULT_ACTIONS, SIMILAR_EMAIL: "block", IP_ONLY: "off"}


def test_values_are_normalised():
    document = minimal_document()
    document["site"].update(currency="eur", base_url="https://refer.shop.example/")
    document["blocklist"] = ["  *@SPAM.example ", "10.0.0.7/24", {"value": "1.2.3.4", "note": "x"}]
    incentive = document["campaigns"][0]["incentives"][0]
    incentive.update(amount="12.5", criteria={"subtotal_min": 49.99, "new_customer": True})
    document["campaigns"][0]["starts_at"] = "2026-08-01T02:00:00+02:00"

    program = program_validate(document)

    assert program.site.currency == "EUR"
    assert program.site.base_url == "https://refer.shop.example"
    assert [(e.value, e.note) for e in program.blocklist] == [
        ("*@spam.example", ""),
        ("10.0.0.0/24", ""),
        ("1.2.3.4", "x"),
    ]
    rebate = program.campaigns[0].incentives[0]
    assert rebate.amount == Decimal("12.50")
    # stored criteria: amounts as exact decimal strings, never floats
    assert rebate.criteria == {"new_customer": True, "subtotal_min": "49.99"}
    assert program.campaigns[0].starts_at == datetime(2026, 8, 1, tzinfo=UTC)


def test_an_incentive_may_use_a_coupon_list_the_site_has_but_the_file_omits():
    document = minimal_document()
    document["campaigns"][0]["incentives"][1]["coupon_list"] = "old-pool"

    program = program_validate(
        document, existing_coupon_lists={"old-pool": ExistingCouponList(None, 3)}
    )

    assert program.campaigns[0].incentives[1].coupon_list == "old-pool"


# -- errors, each with its location


def edit(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    """Set (or with value DROP, remove) the item at a dotted path; list indexes are numbers."""

    def apply(document: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node: Any = document
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node.setdefault(part, {})
        key: Any = int(last) if isinstance(node, list) else last
        if value is DROP:
            del node[key]
        else:
            node[key] = value

    return apply


class _Drop:
    def __repr__(self) -> str:
        return "DROP"


DROP = _Drop()
C0 = "campaigns.0"
I0 = "campaigns.0.incentives.0"
I1 = "campaigns.0.incentives.1"

ERRORS = [
    # the document
    ("version", 2, "version", "format version 1, not 2"),
    ("colour", "red", "colour", "unknown key"),
    ("site", DROP, "site", "required"),
    ("campaigns", {"slug": "x"}, "campaigns", "must be a list"),
    # site
    ("site.slug", "My Shop", "site.slug", "is not a valid site slug"),
    ("site.slug", DROP, "site.slug", "required"),
    ("site.currency", "dollars", "site.currency", "three-letter ISO currency code"),
    ("site.base_url", "not a url", "site.base_url", "is not an http(s) URL"),
    ("site.sticky_advocate", "yes", "site.sticky_advocate", "must be true or false"),
    ("site.name", "", "site.name", "must not be empty"),
    ("site.colour", "red", "site.colour", "unknown key"),
    # fraud
    ("fraud.policies", {"Nope": "block"}, "fraud.policies.Nope", "unknown fraud policy 'Nope'"),
    (
        "fraud.policies",
        {SIMILAR_EMAIL: "maybe"},
        f'fraud.policies["{SIMILAR_EMAIL}"]',
        "'maybe' is not an action",
    ),
    ("fraud.approval.mode", "sometimes", "fraud.approval.mode", "must be one of automatic, manual"),
    ("fraud.approval.delay", "3 weeks", "fraud.approval.delay", "must be a duration"),
    ("fraud.approval.flagged.resolution", "ignored", "fraud.approval.flagged.resolution", "one of"),
    ("fraud.approval.flagged.delay", -5, "fraud.approval.flagged.delay", "between 0 and"),
    ("fraud.approval.flagged.after", "1d", "fraud.approval.flagged.after", "unknown key"),
    ("fraud.rules", [], "fraud.rules", "unknown key"),
    # blocklist
    ("blocklist", ["*"], "blocklist[0]", "is not an email pattern, IP address or CIDR range"),
    ("blocklist", ["*@*"], "blocklist[0]", "would block every email address"),
    ("blocklist", ["1.2.3.4", "1.2.3.4"], "blocklist[1]", "already listed at blocklist[0]"),
    ("blocklist", [5], "blocklist[0]", "not a number"),
    ("blocklist", [{"note": "x"}], "blocklist[0].value", "required"),
    ("blocklist", [{"value": "1.2.3.4", "why": "x"}], "blocklist[0].why", "unknown key"),
    # coupon lists
    ("coupon_lists.1.identifier", "has space", "coupon_lists[1].identifier", "not a valid"),
    ("coupon_lists.1.identifier", DROP, "coupon_lists[1].identifier", "required"),
    ("coupon_lists.1.identifier", "pool", "coupon_lists[1].identifier", "already defined at"),
    ("coupon_lists.1.static_code", "", "coupon_lists[1].static_code", "must not be empty"),
    ("coupon_lists.1.codes", [], "coupon_lists[1].codes", "unknown key"),
    # campaigns
    (f"{C0}.slug", DROP, "campaigns[0].slug", "required"),
    (f"{C0}.destination_url", "ftp://x", "campaigns[0].destination_url", "not an http(s) URL"),
    (f"{C0}.destination_url", DROP, "campaigns[0].destination_url", "required"),
    (f"{C0}.joinable", [], "campaigns[0].joinable", "at least one origin"),
    (f"{C0}.joinable", DROP, "campaigns[0].joinable", "required"),
    (f"{C0}.joinable", "purchase", "campaigns[0].joinable", "must be a list"),
    (f"{C0}.tags", ["a", "a"], "campaigns[0].tags[1]", "listed twice"),
    (f"{C0}.tags", [1], "campaigns[0].tags[0]", "must be a string"),
    (f"{C0}.status", "live", "campaigns[0].status", "Live, Test, Disabled, Scheduled"),
    (f"{C0}.status", "Scheduled", "campaigns[0].starts_at", "a Scheduled campaign needs"),
    (f"{C0}.starts_at", "2026-08-01", "campaigns[0].starts_at", "needs a timezone"),
    (f"{C0}.starts_at", "soon", "campaigns[0].starts_at", "date and time"),
    (f"{C0}.offer_expiry_days", 0, "campaigns[0].offer_expiry_days", "between 1 and"),
    (f"{C0}.gate_email", 1, "campaigns[0].gate_email", "must be true or false"),
    (f"{C0}.extra", 1, "campaigns[0].extra", "unknown key"),
    # incentives
    (f"{I0}.reason", "refer", "campaigns[0].incentives[0].reason", "must be one of referrer"),
    (f"{I0}.type", "cash", "campaigns[0].incentives[0].type", "discount_coupon, rebate, other"),
    (f"{I1}.identifier", "rebate", "campaigns[0].incentives[1].identifier", "already defined"),
    (f"{I0}.amount", -1, "campaigns[0].incentives[0].amount", "must not be negative"),
    (f"{I0}.amount", "ten", "campaigns[0].incentives[0].amount", "must be a number"),
    (f"{I0}.amount", True, "campaigns[0].incentives[0].amount", "must be a number"),
    (
        f"{I0}.amount",
        10**13,
        "campaigns[0].incentives[0].amount",
        "must be at most 999999999999.99",
    ),
    (f"{I0}.amount_type", "percent", "campaigns[0].incentives[0].amount_type", "fixed, percent"),
    (f"{I0}.currency", "$", "campaigns[0].incentives[0].currency", "ISO currency code"),
    (f"{I0}.coupon_list", "pool", "campaigns[0].incentives[0].coupon_list", "only a discount_c"),
    (f"{I1}.coupon_list", DROP, "campaigns[0].incentives[1].coupon_list", "needs a coupon_list"),
    (
        f"{I1}.coupon_list",
        "friend-5",
        "campaigns[0].incentives[1].coupon_list",
        "unknown coupon list 'friend-5'",
    ),
    (f"{I0}.reward", 1, "campaigns[0].incentives[0].reward", "unknown key"),
    # criteria
    (f"{I0}.criteria", [], "campaigns[0].incentives[0].criteria", "must be a mapping"),
    (f"{I0}.criteria.bogus", 1, "campaigns[0].incentives[0].criteria.bogus", "unknown key"),
    (
        f"{I0}.criteria.new_customer",
        "yes",
        "campaigns[0].incentives[0].criteria.new_customer",
        "must be true or false",
    ),
    (
        f"{I0}.criteria.subtotal_min",
        -1,
        "campaigns[0].incentives[0].criteria.subtotal_min",
        "must not be negative",
    ),
    (
        f"{I0}.criteria.referrals_max",
        1.5,
        "campaigns[0].incentives[0].criteria.referrals_max",
        "whole number",
    ),
    (
        f"{I0}.criteria.reward_uniqueness",
        "always",
        "campaigns[0].incentives[0].criteria.reward_uniqueness",
        "once_per_friend",
    ),
    (
        f"{I0}.criteria.friend_event_category",
        3,
        "campaigns[0].incentives[0].criteria.friend_event_category",
        "must be a string",
    ),
    (
        f"{I0}.criteria.offer_not_expired",
        None,
        "campaigns[0].incentives[0].criteria.offer_not_expired",
        "true or false",
    ),
    (f"{I0}.criteria.cap_total", 0, "campaigns[0].incentives[0].criteria.cap_total", "between 1"),
    (
        f"{I0}.criteria.cap_per_month",
        0,
        "campaigns[0].incentives[0].criteria.cap_per_month",
        "between 1",
    ),
]


@pytest.mark.parametrize(
    ("path", "value", "loc", "message"), ERRORS, ids=[f"{e[0]}={e[1]!r}" for e in ERRORS]
)
def test_each_error_is_reported_at_its_location(path, value, loc, message):
    # given a valid document with one thing wrong
    document = minimal_document()
    edit(path, value)(document)

    # when it is validated
    with pytest.raises(ConfigInvalid) as refused:
        program_validate(document)

    # then that one error is reported, where it is
    assert refused.value.code == "config_invalid"
    assert [e.loc for e in refused.value.errors] == [loc]
    assert message in refused.value.errors[0].message


@pytest.mark.parametrize(
    ("criteria", "loc"),
    [
        ({"subtotal_min": 60, "subtotal_max": 50}, "subtotal_max"),
        ({"referrals_min": 3, "referrals_max": 2}, "referrals_max"),
    ],
)
def test_a_range_must_not_be_upside_down(criteria, loc):
    document = minimal_document()
    edit(f"{I0}.criteria", criteria)(document)

    with pytest.raises(ConfigInvalid) as refused:
        program_validate(document)

    assert refused.value.errors == [
        ConfigError(f"campaigns[0].incentives[0].criteria.{loc}", refused.value.errors[0].message)
    ]


def test_a_percentage_is_at_most_100_and_has_no_currency():
    document = minimal_document()
    edit(
        I0,
        {
            "identifier": "p",
            "reason": "referrer",
            "type": "rebate",
            "amount": 150,
            "amount_type": "percentage",
            "currency": "USD",
        },
    )(document)

    with pytest.raises(ConfigInvalid) as refused:
        program_validate(document)

    assert [str(e) for e in refused.value.errors] == [
        "campaigns[0].incentives[0].amount: a percentage must be between 0 and 100",
        "campaigns[0].incentives[0].currency: only a fixed amount has a currency",
    ]


def test_a_campaign_ends_after_it_starts():
    document = minimal_document()
    edit(f"{C0}.starts_at", "2026-08-01T00:00:00Z")(document)
    edit(f"{C0}.ends_at", "2026-08-01T00:00:00Z")(document)

    with pytest.raises(ConfigInvalid) as refused:
        program_validate(document)

    assert [str(e) for e in refused.value.errors] == [
        "campaigns[0].ends_at: must be later than starts_at"
    ]


def test_a_duplicate_campaign_slug_names_the_first():
    document = minimal_document()
    document["campaigns"].append(dict(document["campaigns"][0]))

    with pytest.raises(ConfigInvalid) as refused:
        program_validate(document)

    assert [str(e) for e in refused.value.errors] == [
        "campaigns[1].slug: campaign 'invite' is already defined at campaigns[0]"
    ]


def test_a_pool_that_holds_codes_cannot_become_a_static_list():
    document = minimal_document()
    edit("coupon_lists.0.static_code", "SAVE5")(document)

    with pytest.raises(ConfigInvalid) as refused:
        program_validate(
            document, existing_coupon_lists={"pool": ExistingCouponList(None, pool_size=250)}
        )

    assert [str(e) for e in refused.value.errors] == [
        "coupon_lists[0].static_code: coupon list 'pool' already holds 250 single-use codes, "
        "so it cannot become a static-code list"
    ]


def test_an_empty_pool_may_become_a_static_list():
    document = minimal_document()
    edit("coupon_lists.0.static_code", "SAVE5")(document)

    program = program_validate(
        document, existing_coupon_lists={"pool": ExistingCouponList(None, pool_size=0)}
    )

    assert program.coupon_lists[0].static_code == "SAVE5"


@pytest.mark.parametrize("document", [None, [], "site: x", 3], ids=repr)
def test_a_document_that_is_not_a_mapping_is_refused(document):
    with pytest.raises(ConfigInvalid) as refused:
        program_validate(document)

    assert [e.loc for e in refused.value.errors] == ["(document)"]
    assert "must be a mapping" in refused.value.errors[0].message


def test_every_error_is_reported_at_once():
    # given a file with errors in every section
    document = minimal_document()
    edit("site.currency", "dollars")(document)
    edit("fraud.approval.delay", "soon")(document)
    edit("blocklist", ["nope"])(document)
    edit("coupon_lists.1.static_code", 5)(document)
    edit(f"{C0}.status", "Paused")(document)
    edit(f"{I0}.criteria.cap_total", 0)(document)
    edit(f"{I1}.coupon_list", "friend-5")(document)

    # when it is validated
    with pytest.raises(ConfigInvalid) as refused:
        program_validate(document)

    # then all seven are listed, each where it is, and the message carries them all
    locs = [e.loc for e in refused.value.errors]
    assert locs == [
        "site.currency",
        "fraud.approval.delay",
        "blocklist[0]",
        "coupon_lists[1].static_code",
        "campaigns[0].status",
        "campaigns[0].incentives[0].criteria.cap_total",
        "campaigns[0].incentives[1].coupon_list",
    ]
    assert "campaigns[0].incentives[1].coupon_list: unknown coupon list 'friend-5'" in (
        refused.value.message
    )
    assert refused.value.message.startswith("Invalid configuration (7 errors):")


# -- every message, word for word, and the order errors are listed in
#
# Each case is a list of edits to the minimal document and the errors it must produce, exactly
# and in order; an empty list means the edited document is valid.

EXACT = [
    (
        [("version", True)],
        ["version: this Goodword reads format version 1, not True"],
    ),
    (
        [("site", None)],
        ["site: must be a mapping, not null"],
    ),
    (
        [("site", ["shop"])],
        ["site: must be a mapping, not a list"],
    ),
    (
        [("site.name", "x" * 201)],
        ["site.name: must be at most 200 characters"],
    ),
    (
        [("site.name", None)],
        ["site.name: must be a string, not null"],
    ),
    (
        [("site.currency", 5)],
        ["site.currency: must be a three-letter ISO currency code, not 5"],
    ),
    (
        [("site.base_url", "https://x.example/" + "a" * 500)],
        ["site.base_url: must be at most 500 characters"],
    ),
    (
        [("site.void_on_refund", None)],
        ["site.void_on_refund: must be true or false, not null"],
    ),
    (
        [("site.slug", 5)],
        ["site.slug: must be a string, not a number"],
    ),
    (
        [("fraud", ["x"])],
        ["fraud: must be a mapping, not a list"],
    ),
    (
        [("fraud.policies", ["x"])],
        ["fraud.policies: must be a mapping of policy name to block, flag or off, not a list"],
    ),
    (
        [("fraud.policies", {1: "block"})],
        ["fraud.policies: policy names must be strings, not 1"],
    ),
    (
        [("fraud.approval", "manual")],
        ["fraud.approval: must be a mapping, not a string"],
    ),
    (
        [("fraud.approval.flagged", 7)],
        ["fraud.approval.flagged: must be a mapping, not a number"],
    ),
    (
        [("fraud.approval.delay", True)],
        ["fraud.approval.delay: must be a duration: seconds, or a number with s, m, h or d"],
    ),
    (
        [("fraud.approval.delay", 2147483648)],
        ["fraud.approval.delay: must be between 0 and 2147483647 seconds"],
    ),
    (
        [("blocklist", "1.2.3.4")],
        ["blocklist: must be a list, not a string"],
    ),
    (
        [("blocklist", [{"value": "1.2.3.4", "note": "n" * 201}])],
        ["blocklist[0].note: must be at most 200 characters"],
    ),
    (
        [("blocklist", [{"value": 5}])],
        ["blocklist[0].value: must be an email, IP address or CIDR range, not a number"],
    ),
    (
        [("blocklist", [{"value": "0.0.0.0/0"}])],
        ["blocklist[0].value: '0.0.0.0/0' would block every IP address"],
    ),
    (
        [("blocklist", ["*@spam.example", {"value": "*@SPAM.example"}])],
        ["blocklist[1].value: '*@spam.example' is already listed at blocklist[0]"],
    ),
    (
        [("blocklist", [["x"]])],
        ["blocklist[0]: must be an email, IP address or CIDR range, not a list"],
    ),
    (
        [("coupon_lists", {"identifier": "x"})],
        [
            "coupon_lists: must be a list, not a mapping",
            "campaigns[0].incentives[1].coupon_list: unknown coupon list 'pool'",
        ],
    ),
    (
        [("coupon_lists.0", "pool")],
        [
            "coupon_lists[0]: must be a mapping, not a string",
            "campaigns[0].incentives[1].coupon_list: unknown coupon list 'pool'",
        ],
    ),
    (
        [("coupon_lists.0.name", "n" * 201)],
        [
            "coupon_lists[0].name: must be at most 200 characters",
            "campaigns[0].incentives[1].coupon_list: unknown coupon list 'pool'",
        ],
    ),
    (
        [("coupon_lists.1.static_code", 5)],
        ["coupon_lists[1].static_code: must be a string, not a number"],
    ),
    (
        [("coupon_lists.1.static_code", None)],
        [],
    ),
    (
        [("coupon_lists.0.identifier", "-bad")],
        [
            (
                "coupon_lists[0].identifier: '-bad' is not a valid identifier (1-100 letters, "
                "digits, '-', '_' or '.')"
            ),
            "campaigns[0].incentives[1].coupon_list: unknown coupon list 'pool'",
        ],
    ),
    (
        [("campaigns.0", "invite")],
        ["campaigns[0]: must be a mapping, not a string"],
    ),
    (
        [("campaigns.0.slug", "a" * 101)],
        [
            "campaigns[0].slug: '"
            + "a" * 101
            + "' is not a valid identifier (1-100 letters, digits, '-', '_' or '.')"
        ],
    ),
    (
        [("campaigns.0.name", "")],
        ["campaigns[0].name: must not be empty"],
    ),
    (
        [("campaigns.0.tags", "x")],
        ["campaigns[0].tags: must be a list, not a string"],
    ),
    (
        [("campaigns.0.tags", [" a ", "a"])],
        ["campaigns[0].tags[1]: 'a' is listed twice"],
    ),
    (
        [("campaigns.0.tags", ["t" * 101])],
        ["campaigns[0].tags[0]: must be at most 100 characters"],
    ),
    (
        [("campaigns.0.joinable", None)],
        [
            (
                "campaigns[0].joinable: must list at least one origin that makes an advocate: "
                "affiliate_member, purchase or an event category"
            )
        ],
    ),
    (
        [("campaigns.0.joinable", ["purchase", "purchase"])],
        ["campaigns[0].joinable[1]: 'purchase' is listed twice"],
    ),
    (
        [("campaigns.0.joinable", [""])],
        ["campaigns[0].joinable[0]: must not be empty"],
    ),
    (
        [("campaigns.0.starts_at", date(2026, 8, 1))],
        [
            (
                "campaigns[0].starts_at: must be a date and time with a timezone, like "
                "2026-08-01T00:00:00Z"
            )
        ],
    ),
    (
        [("campaigns.0.starts_at", 5)],
        ["campaigns[0].starts_at: must be a date and time, not a number"],
    ),
    (
        [("campaigns.0.starts_at", datetime(2026, 8, 1, 0, 0))],
        ["campaigns[0].starts_at: needs a timezone, like 2026-08-01T00:00:00Z"],
    ),
    (
        [
            ("campaigns.0.ends_at", "2026-08-01T00:00:00Z"),
            ("campaigns.0.starts_at", "2026-09-01T00:00:00Z"),
        ],
        ["campaigns[0].ends_at: must be later than starts_at"],
    ),
    (
        [("campaigns.0.status", "Scheduled"), ("campaigns.0.starts_at", None)],
        ["campaigns[0].starts_at: a Scheduled campaign needs starts_at"],
    ),
    (
        [("campaigns.0.offer_expiry_days", True)],
        ["campaigns[0].offer_expiry_days: must be a whole number, not a boolean"],
    ),
    (
        [("campaigns.0.offer_expiry_days", 36501)],
        ["campaigns[0].offer_expiry_days: must be between 1 and 36500"],
    ),
    (
        [("campaigns.0.destination_url", "https://" + "x" * 2000 + ".example")],
        ["campaigns[0].destination_url: must be at most 2000 characters"],
    ),
    (
        [("campaigns.0.destination_url", 5)],
        ["campaigns[0].destination_url: must be a string, not a number"],
    ),
    (
        [("campaigns.0.incentives", {"identifier": "x"})],
        ["campaigns[0].incentives: must be a list, not a mapping"],
    ),
    (
        [("campaigns.0.incentives.0", "rebate")],
        ["campaigns[0].incentives[0]: must be a mapping, not a string"],
    ),
    (
        [("campaigns.0.incentives.0.identifier", DROP)],
        ["campaigns[0].incentives[0].identifier: required"],
    ),
    (
        [("campaigns.0.incentives.0.reason", 5)],
        [
            (
                "campaigns[0].incentives[0].reason: must be one of referrer, referred, click, "
                "shared, signup, not 5"
            )
        ],
    ),
    (
        [("campaigns.0.incentives.0.description", "d" * 501)],
        ["campaigns[0].incentives[0].description: must be at most 500 characters"],
    ),
    (
        [("campaigns.0.incentives.0.currency", None)],
        [],
    ),
    (
        [("campaigns.0.incentives.0.currency", "eur")],
        [],
    ),
    (
        [("campaigns.0.incentives.1.coupon_list", None)],
        ["campaigns[0].incentives[1].coupon_list: a discount_coupon incentive needs a coupon_list"],
    ),
    (
        [("campaigns.0.incentives.1.coupon_list", "bad list")],
        [
            (
                "campaigns[0].incentives[1].coupon_list: 'bad list' is not a valid identifier "
                "(1-100 letters, digits, '-', '_' or '.')"
            )
        ],
    ),
    (
        [("campaigns.0.incentives.0.amount", [1])],
        ["campaigns[0].incentives[0].amount: must be a number, not a list"],
    ),
    (
        [("campaigns.0.incentives.0.amount", "NaN")],
        ["campaigns[0].incentives[0].amount: must be at most 999999999999.99"],
    ),
    (
        [
            ("campaigns.0.incentives.0.amount_type", "percentage"),
            ("campaigns.0.incentives.0.amount", "100.001"),
        ],
        [],
    ),
    (
        [("campaigns.0.incentives.0.criteria", None)],
        [],
    ),
    (
        [("campaigns.0.incentives.0.criteria.subtotal_max", "x")],
        ["campaigns[0].incentives[0].criteria.subtotal_max: must be a number, not 'x'"],
    ),
    (
        [("campaigns.0.incentives.0.criteria.referrals_min", -1)],
        ["campaigns[0].incentives[0].criteria.referrals_min: must be between 0 and 2147483647"],
    ),
    (
        [("campaigns.0.incentives.0.criteria.friend_event_category", "")],
        ["campaigns[0].incentives[0].criteria.friend_event_category: must not be empty"],
    ),
    (
        [("campaigns.0.incentives.0.criteria.cap_total", True)],
        ["campaigns[0].incentives[0].criteria.cap_total: must be a whole number, not a boolean"],
    ),
    (
        [("campaigns.0.incentives.0.criteria", {"subtotal_min": 60, "subtotal_max": 50})],
        ["campaigns[0].incentives[0].criteria.subtotal_max: must not be less than subtotal_min"],
    ),
    (
        [("campaigns.0.incentives.0.criteria", {"referrals_min": 3, "referrals_max": 2})],
        ["campaigns[0].incentives[0].criteria.referrals_max: must not be less than referrals_min"],
    ),
    (
        [
            (
                "campaigns.0.incentives.0.criteria",
                {"subtotal_min": 50, "subtotal_max": 50, "referrals_min": 2, "referrals_max": 2},
            )
        ],
        [],
    ),
    (
        [("webhooks", [])],
        ["webhooks: must be a mapping, not a list"],
    ),
    (
        [("webhooks", None)],
        [],
    ),
    (
        [("webhooks.subscriptions", {"type": "event_web_hook"})],
        ["webhooks.subscriptions: must be a list, not a mapping"],
    ),
    (
        [("webhooks.subscriptions", ["x"])],
        ["webhooks.subscriptions[0]: must be a mapping, not a string"],
    ),
    (
        [("webhooks.allow_private_targets", "yes")],
        ["webhooks.allow_private_targets: must be true or false, not a string"],
    ),
    (
        [("webhooks.security_key", None)],
        [],
    ),
    (
        [("webhooks.security_key", 12345678901234567)],
        ["webhooks.security_key: must be a string, not a number"],
    ),
    (
        [("webhooks.security_key", "k" * 256)],
        ["webhooks.security_key: must be at most 255 characters"],
    ),
    (
        [("webhooks.retry_window", "31d")],
        ["webhooks.retry_window: must be between 1m and 30d"],
    ),
    (
        [("webhooks.retry_window", 59)],
        ["webhooks.retry_window: must be between 1m and 30d"],
    ),
    (
        [
            (
                "webhooks.subscriptions",
                [{"type": "event_web_hook", "url": "https://x.example/h", "active": "no"}],
            )
        ],
        ["webhooks.subscriptions[0].active: must be true or false, not a string"],
    ),
    (
        [
            (
                "webhooks.subscriptions",
                [{"type": "event_web_hook", "url": "http://localhost:8000/h"}],
            )
        ],
        [
            (
                "webhooks.subscriptions[0].url: localhost is a loopback address; set "
                "webhooks.allow_private_targets: true to send there"
            )
        ],
    ),
    (
        [
            (
                "webhooks.subscriptions",
                [
                    {"type": "event_web_hook", "url": "https://x.example/h"},
                    {"type": "event_web_hook", "url": " https://x.example/h "},
                ],
            )
        ],
        [
            (
                "webhooks.subscriptions[1]: event_web_hook to https://x.example/h is already at "
                "webhooks.subscriptions[0]"
            )
        ],
    ),
    (
        [
            (
                "webhooks.subscriptions",
                [{"type": "event_web_hook", "url": "https://x.example/h", "why": 1}],
            )
        ],
        ["webhooks.subscriptions[0].why: unknown key (allowed: type, url, active, encoding)"],
    ),
    (
        [("zz", 1), ("site", DROP), ("version", 3), ("aa", 2)],
        [
            (
                "zz: unknown key (allowed: site, version, fraud, blocklist, coupon_lists, "
                "campaigns, webhooks)"
            ),
            (
                "aa: unknown key (allowed: site, version, fraud, blocklist, coupon_lists, "
                "campaigns, webhooks)"
            ),
            "site: required",
            "version: this Goodword reads format version 1, not 3",
        ],
    ),
    (
        [
            ("campaigns.0.zz", 1),
            ("campaigns.0.slug", DROP),
            ("campaigns.0.joinable", DROP),
            ("campaigns.0.name", 5),
        ],
        [
            (
                "campaigns[0].zz: unknown key (allowed: slug, destination_url, joinable, name, "
                "tags, status, starts_at, ends_at, offer_expiry_days, gate_email, "
                "advocate_coupon_list, advocate_coupon_pattern, incentives)"
            ),
            "campaigns[0].slug: required",
            "campaigns[0].joinable: required",
            "campaigns[0].name: must be a string, not a number",
        ],
    ),
    (
        [
            ("campaigns.0.status", "Scheduled"),
            ("campaigns.0.joinable", []),
            ("campaigns.0.gate_email", 1),
            ("campaigns.0.incentives.0.amount", -1),
            ("campaigns.0.tags", [1]),
        ],
        [
            "campaigns[0].tags[0]: must be a string, not a number",
            "campaigns[0].gate_email: must be true or false, not a number",
            (
                "campaigns[0].joinable: must list at least one origin that makes an advocate: "
                "affiliate_member, purchase or an event category"
            ),
            "campaigns[0].starts_at: a Scheduled campaign needs starts_at",
            "campaigns[0].incentives[0].amount: must not be negative",
        ],
    ),
    (
        [
            ("campaigns.0.incentives.0.amount_type", "percentage"),
            ("campaigns.0.incentives.0.amount", 101),
            ("campaigns.0.incentives.0.currency", "USD"),
            ("campaigns.0.incentives.0.coupon_list", "pool"),
            ("campaigns.0.incentives.0.description", 5),
            ("campaigns.0.incentives.0.criteria.cap_total", 0),
        ],
        [
            "campaigns[0].incentives[0].description: must be a string, not a number",
            "campaigns[0].incentives[0].criteria.cap_total: must be between 1 and 2147483647",
            (
                "campaigns[0].incentives[0].coupon_list: only a discount_coupon incentive takes "
                "a coupon_list"
            ),
            "campaigns[0].incentives[0].amount: a percentage must be between 0 and 100",
            "campaigns[0].incentives[0].currency: only a fixed amount has a currency",
        ],
    ),
    (
        [
            ("campaigns.0.incentives.0.identifier", "coupon"),
            ("campaigns.0.incentives.0.reason", "x"),
            ("campaigns.0.incentives.1.type", "x"),
        ],
        [
            (
                "campaigns[0].incentives[0].reason: must be one of referrer, referred, click, "
                "shared, signup, not 'x'"
            ),
            (
                "campaigns[0].incentives[1].identifier: incentive 'coupon' is already defined at "
                "campaigns[0].incentives[0]"
            ),
            (
                "campaigns[0].incentives[1].type: must be one of discount_coupon, rebate, other, "
                "not 'x'"
            ),
        ],
    ),
    (
        [
            ("site.slug", "Bad"),
            ("site.name", 5),
            ("site.currency", "x"),
            ("site.zz", 1),
            ("site.void_on_refund", 1),
        ],
        [
            (
                "site.zz: unknown key (allowed: slug, name, currency, time_zone, base_url, "
                "sticky_advocate, void_on_refund, claims)"
            ),
            (
                "site.slug: 'Bad' is not a valid site slug (1-63 lowercase letters, digits, '-' "
                "or '_')"
            ),
            "site.name: must be a string, not a number",
            "site.currency: must be a three-letter ISO currency code, not 'x'",
            "site.void_on_refund: must be true or false, not a number",
        ],
    ),
    (
        [
            ("fraud.policies", {"Nope": "x", 3: "block", "Similar Email Match": "maybe"}),
            ("fraud.approval.zz", 1),
            ("fraud.approval.mode", "x"),
            ("fraud.approval.flagged.delay", "x"),
        ],
        [
            "fraud.policies.Nope: unknown fraud policy 'Nope'",
            "fraud.policies: policy names must be strings, not 3",
            (
                "fraud.policies[\"Similar Email Match\"]: 'maybe' is not an action for 'Similar "
                "Email Match': use 'block', 'flag' or 'off'"
            ),
            "fraud.approval.zz: unknown key (allowed: mode, delay, flagged)",
            "fraud.approval.mode: must be one of automatic, manual, not 'x'",
            (
                "fraud.approval.flagged.delay: must be a duration: seconds, or a number with s, "
                "m, h or d (like 24h), not 'x'"
            ),
        ],
    ),
    (
        [
            (
                "coupon_lists",
                [
                    {"identifier": "pool", "name": 5},
                    {"identifier": "pool", "static_code": ""},
                    {"name": "x"},
                ],
            )
        ],
        [
            "coupon_lists[0].name: must be a string, not a number",
            "coupon_lists[1].static_code: must not be empty",
            "coupon_lists[1].identifier: coupon list 'pool' is already defined at coupon_lists[0]",
            "coupon_lists[2].identifier: required",
            "campaigns[0].incentives[1].coupon_list: unknown coupon list 'pool'",
        ],
    ),
    (
        [
            (
                "campaigns.0.incentives",
                [
                    {
                        "identifier": "a",
                        "reason": "click",
                        "type": "discount_coupon",
                        "coupon_list": "welcome",
                        "zz": 1,
                    },
                    {"identifier": "a", "reason": "x", "type": "rebate"},
                ],
            )
        ],
        [
            (
                "campaigns[0].incentives[0].zz: unknown key (allowed: identifier, reason, type, "
                "amount, amount_type, currency, coupon_list, description, criteria)"
            ),
            (
                "campaigns[0].incentives[1].identifier: incentive 'a' is already defined at "
                "campaigns[0].incentives[0]"
            ),
            (
                "campaigns[0].incentives[1].reason: must be one of referrer, referred, click, "
                "shared, signup, not 'x'"
            ),
        ],
    ),
    (
        [
            (
                "webhooks",
                {
                    "zz": 1,
                    "retry_window": "x",
                    "subscriptions": [
                        {"type": "x", "url": "ftp://x", "active": 1, "encoding": "x", "qq": 1},
                        5,
                    ],
                },
            )
        ],
        [
            (
                "webhooks.zz: unknown key (allowed: security_key, allow_private_targets, "
                "retry_window, subscriptions)"
            ),
            (
                "webhooks.retry_window: must be a duration: seconds, or a number with s, m, h or "
                "d (like 24h), not 'x'"
            ),
            "webhooks.subscriptions[0].qq: unknown key (allowed: type, url, active, encoding)",
            (
                "webhooks.subscriptions[0].type: must be one of referral_web_hook, "
                "reward_web_hook, post_share_web_hook, event_web_hook, offer_signup_web_hook, "
                "claim_signup_web_hook, unsubscribe_web_hook, check_unsubscribe_web_hook, "
                "create_coupon_web_hook, coupon_list_low_web_hook, not 'x'"
            ),
            "webhooks.subscriptions[0].url: 'ftp://x' is not an http(s) URL",
            "webhooks.subscriptions[0].active: must be true or false, not a number",
            "webhooks.subscriptions[0].encoding: must be one of json, form, not 'x'",
            "webhooks.subscriptions[1]: must be a mapping, not a number",
        ],
    ),
    (
        [("blocklist", ["1.2.3.4", {"value": "1.2.3.4", "note": 5}, {"value": "*", "zz": 1}, 7])],
        [
            "blocklist[1].note: must be a string, not a number",
            "blocklist[1].value: '1.2.3.4' is already listed at blocklist[0]",
            "blocklist[2].zz: unknown key (allowed: value, note)",
            "blocklist[2].value: '*' is not an email pattern, IP address or CIDR range",
            "blocklist[3]: must be an email, IP address or CIDR range, not a number",
        ],
    ),
    (
        [
            (
                "campaigns",
                [
                    {"slug": "a", "joinable": ["purchase"], "destination_url": "https://x.example"},
                    {"slug": "a", "joinable": ["purchase"], "destination_url": 5},
                ],
            )
        ],
        [
            "campaigns[1].slug: campaign 'a' is already defined at campaigns[0]",
            "campaigns[1].destination_url: must be a string, not a number",
        ],
    ),
]


@pytest.mark.parametrize(("edits", "expected"), EXACT, ids=[repr(e[0])[:80] for e in EXACT])
def test_each_message_and_its_place_in_the_list_is_exact(edits, expected):
    # given the minimal document with these edits
    document = minimal_document()
    for path, value in edits:
        edit(path, value)(document)

    # when it is validated
    try:
        program_validate(document)
    except ConfigInvalid as refused:
        errors = [str(e) for e in refused.errors]
    else:
        errors = []

    # then exactly these errors are listed, in this order
    assert errors == expected


def test_a_key_that_is_not_a_string_is_named_at_its_mapping():
    document: dict[Any, Any] = minimal_document()
    document[1] = "x"
    document["campaigns"][0]["incentives"][0][None] = "x"

    with pytest.raises(ConfigInvalid) as refused:
        program_validate(document)

    assert [str(e) for e in refused.value.errors] == [
        "(document): keys must be strings, not 1",
        "campaigns[0].incentives[0]: keys must be strings, not None",
    ]


PRIVATE = "10.0.0.1 is a private or reserved address; set webhooks.allow_private_targets: true"


@pytest.mark.parametrize(
    ("second", "expected"),
    [
        # an unknown key and a refused URL are errors of their own: the twice-listed
        # subscription is still named
        (
            {"zz": 1},
            [
                f"webhooks.subscriptions[0].url: {PRIVATE} to send there",
                "webhooks.subscriptions[1].zz: unknown key (allowed: type, url, active, encoding)",
                f"webhooks.subscriptions[1].url: {PRIVATE} to send there",
                "webhooks.subscriptions[1]: event_web_hook to http://10.0.0.1/h is already at "
                "webhooks.subscriptions[0]",
            ],
        ),
        # with a field in error the item is not compared
        (
            {"active": 1},
            [
                f"webhooks.subscriptions[0].url: {PRIVATE} to send there",
                "webhooks.subscriptions[1].active: must be true or false, not a number",
                f"webhooks.subscriptions[1].url: {PRIVATE} to send there",
            ],
        ),
    ],
)
def test_a_subscription_listed_twice_is_named_beside_its_other_errors(second, expected):
    document = minimal_document()
    first = {"type": "event_web_hook", "url": "http://10.0.0.1/h"}
    document["webhooks"] = {"subscriptions": [first, {**first, **second}]}

    with pytest.raises(ConfigInvalid) as refused:
        program_validate(document)

    assert [str(e) for e in refused.value.errors] == expected


@pytest.mark.parametrize(
    "host",
    [
        "169.254.170.2",
        "100.100.100.200",
        "192.0.0.192",
        "[fd00:ec2::254]",
        "[2002:a9fe:a9fe::]",
        "[64:ff9b::a9fe:a9fe]",
        "[::ffff:169.254.169.254]",
    ],
)
def test_metadata_targets_are_refused_even_when_private_targets_are_allowed(host):
    # given a program that allows private targets and sends to a metadata address (or an IPv6
    # form of one)
    document = minimal_document()
    document["webhooks"] = {
        "allow_private_targets": True,
        "subscriptions": [{"type": "event_web_hook", "url": f"http://{host}/h"}],
    }

    # when it is validated
    with pytest.raises(ConfigInvalid) as refused:
        program_validate(document)

    # then the URL is refused, with no setting offered that would lift it
    [error] = [str(e) for e in refused.value.errors]
    assert error.startswith("webhooks.subscriptions[0].url: ")
    assert "metadata" in error or "carries" in error
    assert "allow_private_targets" not in error


def test_private_targets_are_accepted_when_allowed():
    document = minimal_document()
    document["webhooks"] = {
        "allow_private_targets": True,
        "subscriptions": [{"type": "event_web_hook", "url": "http://10.0.0.1/h"}],
    }
    assert program_validate(document) is not None


def test_a_coupon_list_with_an_unknown_key_can_still_be_used():
    # given a list with a typo beside valid fields, used by an incentive
    document = minimal_document()
    edit("coupon_lists.0.zz", 1)(document)

    with pytest.raises(ConfigInvalid) as refused:
        program_validate(document)

    # then only the typo is named: the incentive's list is known
    assert [str(e) for e in refused.value.errors] == [
        "coupon_lists[0].zz: unknown key (allowed: identifier, name, static_code)"
    ]


def test_an_invalid_static_code_is_named_once():
    # given a pool that holds codes, given a static code that is not a string
    document = minimal_document()
    edit("coupon_lists.0.static_code", 5)(document)

    with pytest.raises(ConfigInvalid) as refused:
        program_validate(document, existing_coupon_lists={"pool": ExistingCouponList(None, 3)})

    # then the code's own error is named, not a rule about a code that was not read
    assert [str(e) for e in refused.value.errors] == [
        "coupon_lists[0].static_code: must be a string, not a number"
    ]


def test_the_models_are_read_only_through_program_validate():
    with pytest.raises(RuntimeError, match="program_validate"):
        CampaignSpec.model_validate(minimal_document()["campaigns"][0])


def test_a_model_must_list_every_field_for_its_errors_to_be_ranked():
    with pytest.raises(TypeError, match="must name its fields"):

        class Half(_Model):
            KEYS = ("a", "b")
            ORDER = ("a",)  # b's errors would have no place

            a: int = 0
            b: int = 0


# -- any broken document is refused with places, never with a crash

BROKEN_VALUES = st.sampled_from(
    [
        None,
        True,
        0,
        -1,
        1.5,
        10**13,
        "",
        "x",
        "Scheduled",
        "percentage",
        "discount_coupon",
        "2026-08-01",
        "2026-08-01T00:00:00Z",
        date(2026, 1, 1),
        datetime(2026, 9, 1),
        [],
        {},
        ["a", "a"],
        {"zz": 1},
        {1: 2},
        "http://127.0.0.1/x",
        "1d",
        "*@*",
        "pool",
    ]
)
BASES = [minimal_document(), example_document()]


def _paths(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    paths = [path]
    if isinstance(node, dict | list):
        for key, child in node.items() if isinstance(node, dict) else enumerate(node):
            paths += _paths(child, (*path, key))
    return paths


@given(st.data())
def test_a_broken_document_is_refused_with_every_error_in_its_place(data):
    # given a valid document with one to three values replaced or removed anywhere
    document = copy.deepcopy(data.draw(st.sampled_from(BASES)))
    for _ in range(data.draw(st.integers(min_value=1, max_value=3))):
        *parents, key = data.draw(st.sampled_from(_paths(document)[1:]))
        node = document
        for part in parents:
            node = node[part]
        if isinstance(node, dict) and data.draw(st.booleans()):
            del node[key]
        else:
            # a copy: the sampled values are shared, and one put inside itself makes a cycle
            node[key] = copy.deepcopy(data.draw(BROKEN_VALUES))

    # when it is validated, it is either a program or refused with places and messages
    try:
        program_validate(document)
    except ConfigInvalid as refused:
        assert refused.errors
        assert all(error.loc and error.message for error in refused.errors)
