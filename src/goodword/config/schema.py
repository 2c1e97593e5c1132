"""The configuration file's structure, defaults and validation.

Pure: `program_validate` takes the parsed document (plain dicts, lists, strings, numbers, and the
dates YAML makes) plus what it needs to know about the site as it is, and returns a `Program`
or raises `ConfigInvalid` listing every error with its location in the file
(`campaigns[0].incentives[1].coupon_list: unknown coupon list 'friend-5'`). Nothing stops at the
first error: a file is fixed in one round.

An omitted field takes its documented default, so a file describes the whole program and
applying it twice is the same as applying it once.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, NamedTuple

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

from goodword.campaigns.models import AmountType, CampaignStatus, IncentiveReason, IncentiveType
from goodword.core.errors import ValidationFailed
from goodword.core.money import MAX_AMOUNT, to_amount
from goodword.fraud import screening
from goodword.fraud.blocklist import validate_entry
from goodword.sites.models import SLUG_RE
from goodword.webhooks.types import HOOK_TYPES

FORMAT_VERSION = 1

# Identifiers of campaigns, coupon lists and incentives: what a URL or a CSV column can carry.
IDENTIFIER_RE = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$"

APPROVAL_MODES = ("automatic", "manual")
FLAGGED_RESOLUTIONS = ("voided", "approved", "never")
DEFAULT_APPROVAL_DELAY = 24 * 3600
DEFAULT_FLAGGED_DELAY = 7 * 24 * 3600
DEFAULT_RETRY_WINDOW = 3 * 24 * 3600
HOOK_ENCODINGS = ("json", "form")

# Origins that make an advocate besides event categories (which are free strings).
JOINABLE_KINDS = ("affiliate_member", "purchase")
REWARD_UNIQUENESS = ("once_per_friend", "once_per_advocate", "none")

# Criteria keys in the order export writes them.
CRITERIA_KEYS = (
    "new_customer",
    "subtotal_min",
    "subtotal_max",
    "referrals_min",
    "referrals_max",
    "reward_uniqueness",
    "friend_event_category",
    "offer_not_expired",
    "cap_total",
    "cap_per_month",
)

# PositiveIntegerField's ceiling on PostgreSQL.
MAX_INTEGER = 2**31 - 1
_DURATION_UNITS = {"d": 86400, "h": 3600, "m": 60, "s": 1}
_DURATION_RE = re.compile(r"^(\d{1,10})\s*([dhms])$")
_PLAIN_KEY_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_CURRENCY_RE = re.compile(r"^[A-Z]{3}$")
_url_validator = URLValidator(schemes=["http", "https"])


# ---------------------------------------------------------------- errors


class ConfigError(NamedTuple):
    loc: str  # where in the file: `campaigns[0].incentives[1].coupon_list`
    message: str

    def __str__(self) -> str:
        return f"{self.loc}: {self.message}"


class ConfigInvalid(ValidationFailed):
    """The file is refused; `errors` holds every problem found, section by section."""

    def __init__(self, errors: list[ConfigError]) -> None:
        count = f"{len(errors)} error{'s' if len(errors) != 1 else ''}"
        super().__init__(
            "config_invalid",
            f"Invalid configuration ({count}):\n" + "\n".join(f"  {e}" for e in errors),
        )
        self.errors = errors


# ---------------------------------------------------------------- the program


@dataclass(frozen=True)
class SiteSpec:
    slug: str
    name: str
    currency: str
    base_url: str | None = None
    sticky_advocate: bool = False
    void_on_refund: bool = True


@dataclass(frozen=True)
class FraudSpec:
    policies: dict[str, str]  # every policy, with the defaults filled in
    approval_mode: str = "automatic"
    approval_delay_seconds: int = DEFAULT_APPROVAL_DELAY
    flagged_resolution: str = "voided"
    flagged_delay_seconds: int = DEFAULT_FLAGGED_DELAY


@dataclass(frozen=True)
class BlocklistSpec:
    value: str  # normalised by fraud.blocklist.validate_entry
    note: str = ""


@dataclass(frozen=True)
class CouponListSpec:
    identifier: str
    name: str = ""
    static_code: str | None = None


@dataclass(frozen=True)
class IncentiveSpec:
    identifier: str
    reason: str
    incentive_type: str
    amount: Decimal = Decimal("0.00")
    amount_type: str = AmountType.FIXED.value
    currency: str | None = None  # None: the site's currency, whatever it is at the time
    coupon_list: str | None = None
    description: str = ""
    criteria: dict[str, Any] = field(default_factory=dict)  # as stored: see criteria_to_json


@dataclass(frozen=True)
class CampaignSpec:
    slug: str
    name: str
    destination_url: str
    joinable: tuple[str, ...]
    tags: tuple[str, ...] = ()
    status: str = CampaignStatus.LIVE.value
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    offer_expiry_days: int | None = None
    gate_email: bool = False
    incentives: tuple[IncentiveSpec, ...] = ()


@dataclass(frozen=True)
class SubscriptionSpec:
    hook_type: str
    url: str
    active: bool = True
    encoding: str = "json"


@dataclass(frozen=True)
class WebhooksSpec:
    """Subscriptions and webhook settings. `security_key` is write-only: None keeps the stored
    key (export never writes it)."""

    subscriptions: tuple[SubscriptionSpec, ...] = ()
    allow_private_targets: bool = False
    retry_window_seconds: int = DEFAULT_RETRY_WINDOW
    security_key: str | None = None


@dataclass(frozen=True)
class Program:
    site: SiteSpec
    fraud: FraudSpec
    blocklist: tuple[BlocklistSpec, ...] = ()
    coupon_lists: tuple[CouponListSpec, ...] = ()
    campaigns: tuple[CampaignSpec, ...] = ()
    webhooks: WebhooksSpec = field(default_factory=WebhooksSpec)


@dataclass(frozen=True)
class ExistingCouponList:
    """What validation needs to know about a coupon list the site already has."""

    static_code: str | None
    pool_size: int  # single-use codes imported into it


# ---------------------------------------------------------------- durations and amounts


def parse_duration(value: Any) -> int:
    """Seconds from an integer or a string like `30s`, `15m`, `24h`, `7d`."""
    if isinstance(value, bool):
        raise ValueError("must be a duration: seconds, or a number with s, m, h or d")
    if isinstance(value, int):
        seconds = value
    elif isinstance(value, str) and (match := _DURATION_RE.match(value.strip())):
        seconds = int(match[1]) * _DURATION_UNITS[match[2]]
    else:
        raise ValueError(
            f"must be a duration: seconds, or a number with s, m, h or d (like 24h), not {value!r}"
        )
    if not 0 <= seconds <= MAX_INTEGER:
        raise ValueError(f"must be between 0 and {MAX_INTEGER} seconds")
    return seconds


def format_duration(seconds: int) -> str:
    """The largest whole unit: 86400 → `1d`, 5400 → `90m`, 0 → `0s`."""
    for unit, size in _DURATION_UNITS.items():
        if seconds and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def plain_amount(amount: Decimal) -> int | str:
    """An amount for the file: a whole number as a number, anything else as an exact decimal
    string, so that no float ever carries money."""
    if amount == amount.to_integral_value():
        return int(amount)
    return str(amount)


def criteria_to_json(criteria: Mapping[str, Any]) -> dict[str, Any]:
    """Criteria as `Incentive.criteria` stores them: subtotals as decimal strings ("50.00"),
    everything else as JSON booleans, integers and strings."""
    return {
        key: str(value) if isinstance(value, Decimal) else value for key, value in criteria.items()
    }


def criteria_for_file(criteria: Mapping[str, Any]) -> dict[str, Any]:
    """Stored criteria as export writes them: in CRITERIA_KEYS order, amounts plain."""
    out: dict[str, Any] = {}
    for key in CRITERIA_KEYS:
        if key in criteria:
            value = criteria[key]
            if key in ("subtotal_min", "subtotal_max"):
                value = plain_amount(to_amount(value))
            out[key] = value
    for key in sorted(set(criteria) - set(CRITERIA_KEYS)):
        out[key] = criteria[key]  # written by something else; apply will name it
    return out


# ---------------------------------------------------------------- field parsers
#
# Each takes the raw value and returns the parsed one or raises ValueError with the message that
# follows the location.

Parser = Callable[[Any], Any]


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    return {
        bool: "a boolean",
        int: "a number",
        float: "a number",
        str: "a string",
        list: "a list",
        dict: "a mapping",
    }.get(type(value), type(value).__name__)


def _string(max_length: int, *, blank: bool = False) -> Parser:
    def parse(value: Any) -> str:
        if not isinstance(value, str):
            raise ValueError(f"must be a string, not {_type_name(value)}")
        value = value.strip()
        if not value and not blank:
            raise ValueError("must not be empty")
        if len(value) > max_length:
            raise ValueError(f"must be at most {max_length} characters")
        return value

    return parse


def _pattern(regex: str, what: str) -> Parser:
    def parse(value: Any) -> str:
        if not isinstance(value, str):
            raise ValueError(f"must be a string, not {_type_name(value)}")
        if not re.fullmatch(regex, value):
            raise ValueError(f"{value!r} is not a valid {what}")
        return value

    return parse


_site_slug = _pattern(SLUG_RE, "site slug (1-63 lowercase letters, digits, '-' or '_')")
_identifier = _pattern(IDENTIFIER_RE, "identifier (1-100 letters, digits, '-', '_' or '.')")


def _bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"must be true or false, not {_type_name(value)}")
    return value


def _choice(choices: Collection[str]) -> Parser:
    def parse(value: Any) -> str:
        if value not in choices or not isinstance(value, str):
            raise ValueError(f"must be one of {', '.join(choices)}, not {value!r}")
        return value

    return parse


def _choice_int(choices: Collection[int]) -> Parser:
    def parse(value: Any) -> int:
        if isinstance(value, bool) or value not in choices:
            raise ValueError(
                f"this Goodword reads format version {', '.join(map(str, choices))}, not {value!r}"
            )
        return int(value)

    return parse


def _url(max_length: int) -> Parser:
    def parse(value: Any) -> str:
        value = _string(max_length)(value)
        try:
            _url_validator(value)
        except ValidationError:
            raise ValueError(f"{value!r} is not an http(s) URL") from None
        return str(value)

    return parse


def _base_url(value: Any) -> str:
    # Links are built as base + "/x/<code>": one spelling, without the trailing slash.
    return str(_url(500)(value)).rstrip("/")


def _currency(value: Any) -> str:
    if not isinstance(value, str) or not _CURRENCY_RE.match(value.strip().upper()):
        raise ValueError(f"must be a three-letter ISO currency code, not {value!r}")
    return value.strip().upper()


def _integer(minimum: int, maximum: int = MAX_INTEGER) -> Parser:
    def parse(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"must be a whole number, not {_type_name(value)}")
        if not minimum <= value <= maximum:
            raise ValueError(f"must be between {minimum} and {maximum}")
        return value

    return parse


def _amount(value: Any) -> Decimal:
    if not isinstance(value, int | float | str | Decimal) or isinstance(value, bool):
        raise ValueError(f"must be a number, not {_type_name(value)}")
    try:
        amount = to_amount(value)
    except ValueError as exc:
        if str(exc) == "out of range":
            raise ValueError(f"must be at most {MAX_AMOUNT}") from None
        raise ValueError(f"must be a number, not {value!r}") from None
    if amount < 0:
        raise ValueError("must not be negative")
    return amount


def _duration(value: Any) -> int:
    return parse_duration(value)


def _datetime(value: Any) -> datetime:
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        raise ValueError("must be a date and time with a timezone, like 2026-08-01T00:00:00Z")
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(
                f"must be a date and time with a timezone, like 2026-08-01T00:00:00Z, not {value!r}"
            ) from None
    else:
        raise ValueError(f"must be a date and time, not {_type_name(value)}")
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("needs a timezone, like 2026-08-01T00:00:00Z")
    return moment


def _retry_window(value: Any) -> int:
    seconds = parse_duration(value)
    if not 60 <= seconds <= 30 * 86400:
        raise ValueError("must be between 1m and 30d")
    return seconds


def _security_key(value: Any) -> str:
    key = _string(255)(value)
    if len(key) < 16:
        raise ValueError("must be at least 16 characters")
    return str(key)


def _optional(parser: Parser) -> Parser:
    def parse(value: Any) -> Any:
        return None if value is None else parser(value)

    return parse


def _policy_action(value: Any) -> Any:
    # YAML 1.1 reads a bare `off` as false; it can only mean the action `off` here.
    return "off" if value is False else value


# ---------------------------------------------------------------- locations


def key_loc(loc: str, key: str) -> str:
    """`campaigns[0]` + `slug` → `campaigns[0].slug`; keys with spaces get brackets."""
    if _PLAIN_KEY_RE.match(key):
        return f"{loc}.{key}" if loc else key
    return f"{loc}[{json.dumps(key)}]"


def _index_loc(loc: str, index: int) -> str:
    return f"{loc}[{index}]"


# ---------------------------------------------------------------- the validator


class _Missing:
    def __repr__(self) -> str:
        return "<missing>"


MISSING: Any = _Missing()  # a field that is absent, or present and invalid


class _Validator:
    def __init__(self, existing_coupon_lists: Mapping[str, ExistingCouponList]) -> None:
        self.errors: list[ConfigError] = []
        self.existing_coupon_lists = existing_coupon_lists

    def error(self, loc: str, message: str) -> None:
        self.errors.append(ConfigError(loc or "(document)", message))

    # -- structure

    def mapping(
        self, value: Any, loc: str, *, required: Collection[str], optional: Collection[str]
    ) -> dict[str, Any] | None:
        """The mapping with its keys checked (unknown and missing ones are errors), or None."""
        if not isinstance(value, dict):
            self.error(loc, f"must be a mapping, not {_type_name(value)}")
            return None
        allowed = [*required, *optional]
        for key in value:
            if not isinstance(key, str):
                self.error(loc, f"keys must be strings, not {key!r}")
            elif key not in allowed:
                self.error(key_loc(loc, key), f"unknown key (allowed: {', '.join(allowed)})")
        for key in required:
            if key not in value:
                self.error(key_loc(loc, key), "required")
        return value

    def field(
        self, data: Mapping[str, Any], key: str, loc: str, parser: Parser, default: Any
    ) -> Any:
        """The parsed value of `data[key]`, `default` when absent, MISSING when invalid."""
        if key not in data:
            return default
        try:
            return parser(data[key])
        except ValueError as exc:
            self.error(key_loc(loc, key), str(exc))
            return MISSING

    def sequence(self, value: Any, loc: str) -> list[Any]:
        if value is None:
            return []
        if not isinstance(value, list):
            self.error(loc, f"must be a list, not {_type_name(value)}")
            return []
        return value

    def string_list(self, data: Mapping[str, Any], key: str, loc: str, parser: Parser) -> Any:
        if key not in data:
            return ()
        items_loc = key_loc(loc, key)
        out: list[str] = []
        ok = True
        for i, item in enumerate(self.sequence(data[key], items_loc)):
            try:
                parsed = parser(item)
            except ValueError as exc:
                self.error(_index_loc(items_loc, i), str(exc))
                ok = False
                continue
            if parsed in out:
                self.error(_index_loc(items_loc, i), f"{parsed!r} is listed twice")
                ok = False
            out.append(parsed)
        if data[key] is not None and not isinstance(data[key], list):
            ok = False
        return tuple(out) if ok else MISSING

    # -- sections

    def program(self, document: Any) -> Program | None:
        doc = self.mapping(
            document,
            "",
            required=("site",),
            optional=("version", "fraud", "blocklist", "coupon_lists", "campaigns", "webhooks"),
        )
        if doc is None:
            return None
        self.field(doc, "version", "", _choice_int((FORMAT_VERSION,)), FORMAT_VERSION)
        site = self.site(doc.get("site"), "site") if "site" in doc else None
        fraud = self.fraud(doc.get("fraud"), "fraud")
        blocklist = self.blocklist(doc.get("blocklist"), "blocklist")
        coupon_lists = self.coupon_lists(doc.get("coupon_lists"), "coupon_lists")
        known_lists = {spec.identifier for spec in coupon_lists} | set(self.existing_coupon_lists)
        campaigns = self.campaigns(doc.get("campaigns"), "campaigns", known_lists)
        webhooks = self.webhooks(doc.get("webhooks"), "webhooks")
        if self.errors or site is None or fraud is None or webhooks is None:
            return None
        return Program(
            site=site,
            fraud=fraud,
            blocklist=blocklist,
            coupon_lists=coupon_lists,
            campaigns=campaigns,
            webhooks=webhooks,
        )

    def webhooks(self, value: Any, loc: str) -> WebhooksSpec | None:
        if value is None:
            return WebhooksSpec()
        data = self.mapping(
            value,
            loc,
            required=(),
            optional=("security_key", "allow_private_targets", "retry_window", "subscriptions"),
        )
        if data is None:
            return None
        allow = self.field(data, "allow_private_targets", loc, _bool, False)
        window = self.field(data, "retry_window", loc, _retry_window, DEFAULT_RETRY_WINDOW)
        key = self.field(data, "security_key", loc, _optional(_security_key), None)
        subscriptions: list[SubscriptionSpec] = []
        seen: dict[tuple[str, str], str] = {}
        ok = True
        subs_loc = key_loc(loc, "subscriptions")
        for i, item in enumerate(self.sequence(data.get("subscriptions"), subs_loc)):
            item_loc = _index_loc(subs_loc, i)
            sub = self.mapping(
                item, item_loc, required=("type", "url"), optional=("active", "encoding")
            )
            if sub is None:
                ok = False
                continue
            values = {
                "hook_type": self.field(sub, "type", item_loc, _choice(HOOK_TYPES), MISSING),
                "url": self.field(sub, "url", item_loc, _url(2000), MISSING),
                "active": self.field(sub, "active", item_loc, _bool, True),
                "encoding": self.field(sub, "encoding", item_loc, _choice(HOOK_ENCODINGS), "json"),
            }
            if isinstance(values["url"], str) and isinstance(allow, bool):
                from urllib.parse import urlsplit

                from goodword.webhooks.transport import check_literal_host

                refusal = check_literal_host(
                    urlsplit(values["url"]).hostname or "", allow_private=allow
                )
                if refusal:
                    self.error(
                        key_loc(item_loc, "url"),
                        f"{refusal}; set webhooks.allow_private_targets: true to send there",
                    )
                    ok = False
            if MISSING in values.values():
                ok = False
                continue
            identity = (values["hook_type"], values["url"])
            if identity in seen:
                self.error(
                    item_loc, f"{identity[0]} to {identity[1]} is already at {seen[identity]}"
                )
                ok = False
                continue
            seen[identity] = item_loc
            subscriptions.append(SubscriptionSpec(**values))
        if not ok or MISSING in (allow, window, key):
            return None
        return WebhooksSpec(
            subscriptions=tuple(subscriptions),
            allow_private_targets=allow,
            retry_window_seconds=window,
            security_key=key,
        )

    def site(self, value: Any, loc: str) -> SiteSpec | None:
        data = self.mapping(
            value,
            loc,
            required=("slug",),
            optional=("name", "currency", "base_url", "sticky_advocate", "void_on_refund"),
        )
        if data is None:
            return None
        slug = self.field(data, "slug", loc, _site_slug, MISSING)
        values = {
            "slug": slug,
            "name": self.field(data, "name", loc, _string(200), slug),
            "currency": self.field(data, "currency", loc, _currency, "USD"),
            "base_url": self.field(data, "base_url", loc, _optional(_base_url), None),
            "sticky_advocate": self.field(data, "sticky_advocate", loc, _bool, False),
            "void_on_refund": self.field(data, "void_on_refund", loc, _bool, True),
        }
        if MISSING in values.values():
            return None
        return SiteSpec(**values)

    def fraud(self, value: Any, loc: str) -> FraudSpec | None:
        data = (
            {}
            if value is None
            else self.mapping(value, loc, required=(), optional=("policies", "approval"))
        )
        if data is None:
            return None
        policies = self.policies(data.get("policies"), key_loc(loc, "policies"))
        approval_loc = key_loc(loc, "approval")
        approval = (
            {}
            if data.get("approval") is None
            else self.mapping(
                data["approval"], approval_loc, required=(), optional=("mode", "delay", "flagged")
            )
        )
        if approval is None:
            return None
        mode = self.field(approval, "mode", approval_loc, _choice(APPROVAL_MODES), "automatic")
        delay = self.field(approval, "delay", approval_loc, _duration, DEFAULT_APPROVAL_DELAY)
        flagged_loc = key_loc(approval_loc, "flagged")
        flagged = (
            {}
            if approval.get("flagged") is None
            else self.mapping(
                approval["flagged"], flagged_loc, required=(), optional=("resolution", "delay")
            )
        )
        if flagged is None:
            return None
        resolution = self.field(
            flagged, "resolution", flagged_loc, _choice(FLAGGED_RESOLUTIONS), "voided"
        )
        flagged_delay = self.field(flagged, "delay", flagged_loc, _duration, DEFAULT_FLAGGED_DELAY)
        if policies is None or MISSING in (mode, delay, resolution, flagged_delay):
            return None
        try:
            full = screening.validate_actions(policies)
        except ValueError as exc:
            self.error(key_loc(loc, "policies"), str(exc))
            return None
        return FraudSpec(
            policies=dict(full),
            approval_mode=mode,
            approval_delay_seconds=delay,
            flagged_resolution=resolution,
            flagged_delay_seconds=flagged_delay,
        )

    def policies(self, value: Any, loc: str) -> dict[str, str] | None:
        if value is None:
            return {}
        if not isinstance(value, dict):
            kind = _type_name(value)
            self.error(loc, f"must be a mapping of policy name to block, flag or off, not {kind}")
            return None
        out: dict[str, str] = {}
        ok = True
        for name, raw in value.items():
            if not isinstance(name, str):
                self.error(loc, f"policy names must be strings, not {name!r}")
                ok = False
                continue
            action = _policy_action(raw)
            try:
                # One at a time, so that every bad policy or action is named.
                screening.validate_actions({name: action})
            except ValueError as exc:
                self.error(key_loc(loc, name), str(exc))
                ok = False
                continue
            out[name] = action
        return out if ok else None

    def blocklist(self, value: Any, loc: str) -> tuple[BlocklistSpec, ...]:
        out: list[BlocklistSpec] = []
        seen: dict[str, str] = {}
        for i, item in enumerate(self.sequence(value, loc)):
            item_loc = _index_loc(loc, i)
            note: Any = ""
            if isinstance(item, dict):
                data = self.mapping(item, item_loc, required=("value",), optional=("note",))
                if data is None or "value" not in data:
                    continue
                note = self.field(data, "note", item_loc, _string(200, blank=True), "")
                raw, value_loc = data["value"], key_loc(item_loc, "value")
            else:
                raw, value_loc = item, item_loc
            if not isinstance(raw, str):
                kind = _type_name(raw)
                self.error(value_loc, f"must be an email, IP address or CIDR range, not {kind}")
                continue
            try:
                entry = validate_entry(raw)
            except ValueError as exc:
                self.error(value_loc, str(exc))
                continue
            if entry in seen:
                self.error(value_loc, f"{entry!r} is already listed at {seen[entry]}")
                continue
            seen[entry] = item_loc
            if note is not MISSING:
                out.append(BlocklistSpec(value=entry, note=note))
        return tuple(out)

    def coupon_lists(self, value: Any, loc: str) -> tuple[CouponListSpec, ...]:
        out: list[CouponListSpec] = []
        seen: dict[str, str] = {}
        for i, item in enumerate(self.sequence(value, loc)):
            item_loc = _index_loc(loc, i)
            data = self.mapping(
                item, item_loc, required=("identifier",), optional=("name", "static_code")
            )
            if data is None:
                continue
            identifier = self.field(data, "identifier", item_loc, _identifier, MISSING)
            name = self.field(data, "name", item_loc, _string(200, blank=True), "")
            static_code = self.field(data, "static_code", item_loc, _optional(_string(255)), None)
            if identifier is not MISSING:
                if identifier in seen:
                    self.error(
                        key_loc(item_loc, "identifier"),
                        f"coupon list {identifier!r} is already defined at {seen[identifier]}",
                    )
                    continue
                seen[identifier] = item_loc
                existing = self.existing_coupon_lists.get(identifier)
                if static_code and existing is not None and existing.pool_size:
                    self.error(
                        key_loc(item_loc, "static_code"),
                        f"coupon list {identifier!r} already holds {existing.pool_size} "
                        f"single-use codes, so it cannot become a static-code list",
                    )
                    continue
            if MISSING not in (identifier, name, static_code):
                out.append(
                    CouponListSpec(identifier=identifier, name=name, static_code=static_code)
                )
        return tuple(out)

    def campaigns(self, value: Any, loc: str, known_lists: set[str]) -> tuple[CampaignSpec, ...]:
        out: list[CampaignSpec] = []
        seen: dict[str, str] = {}
        for i, item in enumerate(self.sequence(value, loc)):
            campaign = self.campaign(item, _index_loc(loc, i), known_lists, seen)
            if campaign is not None:
                out.append(campaign)
        return tuple(out)

    def campaign(
        self, value: Any, loc: str, known_lists: set[str], seen: dict[str, str]
    ) -> CampaignSpec | None:
        data = self.mapping(
            value,
            loc,
            required=("slug", "destination_url", "joinable"),
            optional=(
                "name",
                "tags",
                "status",
                "starts_at",
                "ends_at",
                "offer_expiry_days",
                "gate_email",
                "incentives",
            ),
        )
        if data is None:
            return None
        slug = self.field(data, "slug", loc, _identifier, MISSING)
        if slug is not MISSING:
            if slug in seen:
                self.error(
                    key_loc(loc, "slug"), f"campaign {slug!r} is already defined at {seen[slug]}"
                )
            seen.setdefault(slug, loc)
        values = {
            "slug": slug,
            "name": self.field(data, "name", loc, _string(200), slug),
            "tags": self.string_list(data, "tags", loc, _string(100)),
            "status": self.field(
                data, "status", loc, _choice(CampaignStatus.values), CampaignStatus.LIVE.value
            ),
            "starts_at": self.field(data, "starts_at", loc, _optional(_datetime), None),
            "ends_at": self.field(data, "ends_at", loc, _optional(_datetime), None),
            "joinable": self.string_list(data, "joinable", loc, _string(255)),
            "destination_url": self.field(data, "destination_url", loc, _url(2000), MISSING),
            "offer_expiry_days": self.field(
                data, "offer_expiry_days", loc, _optional(_integer(1, 36500)), None
            ),
            "gate_email": self.field(data, "gate_email", loc, _bool, False),
        }
        if values["joinable"] == () and "joinable" in data:
            self.error(
                key_loc(loc, "joinable"),
                "must list at least one origin that makes an advocate: "
                "affiliate_member, purchase or an event category",
            )
            values["joinable"] = MISSING
        starts_at, ends_at = values["starts_at"], values["ends_at"]
        if values["status"] == CampaignStatus.SCHEDULED and starts_at is None:
            self.error(key_loc(loc, "starts_at"), "a Scheduled campaign needs starts_at")
        if (
            isinstance(starts_at, datetime)
            and isinstance(ends_at, datetime)
            and ends_at <= starts_at
        ):
            self.error(key_loc(loc, "ends_at"), "must be later than starts_at")
        incentives = self.incentives(
            data.get("incentives"), key_loc(loc, "incentives"), known_lists
        )
        if MISSING in values.values() or incentives is None:
            return None
        return CampaignSpec(**values, incentives=incentives)

    def incentives(
        self, value: Any, loc: str, known_lists: set[str]
    ) -> tuple[IncentiveSpec, ...] | None:
        out: list[IncentiveSpec] = []
        seen: dict[str, str] = {}
        errors_before = len(self.errors)
        for i, item in enumerate(self.sequence(value, loc)):
            incentive = self.incentive(item, _index_loc(loc, i), known_lists, seen)
            if incentive is not None:
                out.append(incentive)
        return tuple(out) if len(self.errors) == errors_before else None

    def incentive(
        self, value: Any, loc: str, known_lists: set[str], seen: dict[str, str]
    ) -> IncentiveSpec | None:
        data = self.mapping(
            value,
            loc,
            required=("identifier", "reason", "type"),
            optional=(
                "amount",
                "amount_type",
                "currency",
                "coupon_list",
                "description",
                "criteria",
            ),
        )
        if data is None:
            return None
        identifier = self.field(data, "identifier", loc, _identifier, MISSING)
        if identifier is not MISSING:
            if identifier in seen:
                self.error(
                    key_loc(loc, "identifier"),
                    f"incentive {identifier!r} is already defined at {seen[identifier]}",
                )
            seen.setdefault(identifier, loc)
        values = {
            "identifier": identifier,
            "reason": self.field(data, "reason", loc, _choice(IncentiveReason.values), MISSING),
            "incentive_type": self.field(data, "type", loc, _choice(IncentiveType.values), MISSING),
            "amount": self.field(data, "amount", loc, _amount, Decimal("0.00")),
            "amount_type": self.field(
                data, "amount_type", loc, _choice(AmountType.values), AmountType.FIXED.value
            ),
            "currency": self.field(data, "currency", loc, _optional(_currency), None),
            "coupon_list": self.field(data, "coupon_list", loc, _optional(_identifier), None),
            "description": self.field(data, "description", loc, _string(500, blank=True), ""),
            "criteria": self.criteria(data.get("criteria"), key_loc(loc, "criteria")),
        }
        kind, coupon_list = values["incentive_type"], values["coupon_list"]
        if kind == IncentiveType.DISCOUNT_COUPON and coupon_list is None:
            self.error(
                key_loc(loc, "coupon_list"), "a discount_coupon incentive needs a coupon_list"
            )
        elif kind in (IncentiveType.REBATE, IncentiveType.OTHER) and isinstance(coupon_list, str):
            self.error(
                key_loc(loc, "coupon_list"), "only a discount_coupon incentive takes a coupon_list"
            )
        elif isinstance(coupon_list, str) and coupon_list not in known_lists:
            self.error(key_loc(loc, "coupon_list"), f"unknown coupon list {coupon_list!r}")
        if values["amount_type"] == AmountType.PERCENTAGE:
            amount = values["amount"]
            if isinstance(amount, Decimal) and amount > 100:
                self.error(key_loc(loc, "amount"), "a percentage must be between 0 and 100")
            if values["currency"] not in (None, MISSING):
                self.error(key_loc(loc, "currency"), "only a fixed amount has a currency")
        if MISSING in values.values():
            return None
        return IncentiveSpec(**values)

    def criteria(self, value: Any, loc: str) -> dict[str, Any]:
        if value is None:
            return {}
        data = self.mapping(value, loc, required=(), optional=CRITERIA_KEYS)
        if data is None:
            return MISSING
        parsers: dict[str, Parser] = {
            "new_customer": _bool,
            "subtotal_min": _amount,
            "subtotal_max": _amount,
            "referrals_min": _integer(0),
            "referrals_max": _integer(0),
            "reward_uniqueness": _choice(REWARD_UNIQUENESS),
            "friend_event_category": _string(255),
            "offer_not_expired": _bool,
            "cap_total": _integer(1),
            "cap_per_month": _integer(1),
        }
        out: dict[str, Any] = {}
        ok = True
        for key in CRITERIA_KEYS:
            if key in data:
                parsed = self.field(data, key, loc, parsers[key], MISSING)
                if parsed is MISSING:
                    ok = False
                else:
                    out[key] = parsed
        for low, high in (("subtotal_min", "subtotal_max"), ("referrals_min", "referrals_max")):
            if low in out and high in out and out[low] > out[high]:
                self.error(key_loc(loc, high), f"must not be less than {low}")
                ok = False
        if not ok or len(out) != len(data):
            return MISSING
        return criteria_to_json(out)


def program_validate(
    document: Any, *, existing_coupon_lists: Mapping[str, ExistingCouponList] | None = None
) -> Program:
    """The program the document describes, or ConfigInvalid with every error found.

    `existing_coupon_lists` are the site's lists by identifier: incentives may use a list the
    file does not mention (apply keeps it), and a list that holds single-use codes cannot
    become a static one."""
    validator = _Validator(existing_coupon_lists or {})
    program = validator.program(document)
    if validator.errors or program is None:
        raise ConfigInvalid(validator.errors or [ConfigError("(document)", "is not valid")])
    return program


def peek_site_slug(document: Any) -> str | None:
    """The site slug named by a document not yet validated, if it is a usable one."""
    site = document.get("site") if isinstance(document, dict) else None
    slug = site.get("slug") if isinstance(site, dict) else None
    if isinstance(slug, str) and re.fullmatch(SLUG_RE, slug):
        return slug
    return None
