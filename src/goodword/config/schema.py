"""The configuration file's structure, defaults and validation.

Pure: `program_validate` takes the parsed document (plain dicts, lists, strings, numbers, and the
dates YAML makes) plus what it needs to know about the site as it is, and returns a `Program`
or raises `ConfigInvalid` listing every error with its location in the file
(`campaigns[0].incentives[1].coupon_list: unknown coupon list 'friend-5'`). Nothing stops at the
first error: a file is fixed in one round.

The file's structure is a tree of pydantic models (`Program` down to `CriteriaSpec`): which keys
a mapping takes, which are required, their defaults, the nesting. Each leaf is read by one of
the readers in `values`, which say in the file's words what is wrong. Rules between fields are
validators that see only the fields that passed (pydantic's `info.data`), so a bad field never
hides another field's error. Rules between items and sections (unique identifiers, the coupon
lists incentives may use) keep their state in the validation context. `_config_errors` turns
pydantic's errors into `ConfigError`s, listed in the order the file is read: in each mapping,
unknown keys, then missing ones, then each field and the rules that follow it (`ORDER`).

An omitted field takes its documented default, so a file describes the whole program and
applying it twice is the same as applying it once.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, ClassVar, NamedTuple
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainValidator,
    ValidationError,
    ValidationInfo,
    ValidatorFunctionWrapHandler,
    WrapValidator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from goodword.campaigns.models import AmountType, CampaignStatus, IncentiveReason, IncentiveType
from goodword.config import values
from goodword.config.values import Parser, plain_amount
from goodword.config.values import format_duration as format_duration
from goodword.config.values import parse_duration as parse_duration
from goodword.core.clock import DEFAULT_TIME_ZONE
from goodword.core.errors import ValidationFailed
from goodword.core.money import to_amount
from goodword.coupons.patterns import PatternError, pattern_parse
from goodword.fraud import screening
from goodword.fraud.blocklist import validate_entry
from goodword.sites.models import (
    CLAIM_CLICKS_PER_IP_PER_MINUTE,
    CLAIM_CODE_WINDOW_SECONDS,
    CLAIM_CODES_PER_IP,
    SLUG_RE,
)
from goodword.webhooks.transport import check_literal_host
from goodword.webhooks.types import HOOK_TYPES

FORMAT_VERSION = 1

APPROVAL_MODES = ("automatic", "manual")
FLAGGED_RESOLUTIONS = ("voided", "approved", "never")
DEFAULT_APPROVAL_DELAY = 24 * 3600
DEFAULT_FLAGGED_DELAY = 7 * 24 * 3600
DEFAULT_RETRY_WINDOW = 3 * 24 * 3600
HOOK_ENCODINGS = ("json", "form")

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

_PLAIN_KEY_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


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


@dataclass(frozen=True)
class ExistingCouponList:
    """What validation needs to know about a coupon list the site already has."""

    static_code: str | None
    pool_size: int  # single-use codes imported into it


# ---------------------------------------------------------------- criteria as stored and written


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


# ---------------------------------------------------------------- locations


def key_loc(loc: str, key: str) -> str:
    """`campaigns[0]` + `slug` → `campaigns[0].slug`; keys with spaces get brackets."""
    if _PLAIN_KEY_RE.match(key):
        return f"{loc}.{key}" if loc else key
    return f"{loc}[{json.dumps(key)}]"


def _index_loc(loc: str, index: int) -> str:
    return f"{loc}[{index}]"


# ---------------------------------------------------------------- rules between fields and items


def _rule(rule: str, message: str, **ctx: Any) -> PydanticCustomError:
    """A rule's error: `rule` places it in its model's ORDER (as `field:rule`)."""
    return PydanticCustomError("config", "{message}", {"message": message, "rule": rule, **ctx})


def _errors(errors: list[tuple[tuple[str | int, ...], Any, str]]) -> ValidationError:
    """Several errors inside one value (list items, policies), each at its own place."""
    details: list[InitErrorDetails] = [
        {
            "type": PydanticCustomError("config", "{message}", {"message": message}),
            "loc": loc,
            "input": value,
        }
        for loc, value, message in errors
    ]
    return ValidationError.from_exception_data("config", details)


@dataclass
class _Frame:
    """One list being read: the index of the item at hand, and the keys its items took."""

    data: Mapping[str, Any]  # the valid fields of the mapping that holds the list
    index: int = -1
    seen: dict[Any, int] = field(default_factory=dict)


@dataclass
class _State:
    """What the rules between items and sections remember while one document is read."""

    existing_coupon_lists: Mapping[str, ExistingCouponList]
    known_lists: set[str]  # the site's coupon lists and the file's valid ones
    static_lists: set[str] = field(default_factory=set)  # those of them with a static code
    frames: list[_Frame] = field(default_factory=list)


def _state(info: ValidationInfo) -> _State:
    context = info.context
    if not isinstance(context, dict) or not isinstance(context.get("state"), _State):
        raise RuntimeError("configuration models are validated through program_validate")
    return context["state"]


def _items(value: Any, handler: ValidatorFunctionWrapHandler, info: ValidationInfo) -> Any:
    """A list of mappings (null: none); its items are read with a frame of their own."""
    if value is None:
        return ()
    if not isinstance(value, list):
        raise ValueError(f"must be a list, not {values.type_name(value)}")
    frames = _state(info).frames
    frames.append(_Frame(data=info.data))
    try:
        return handler(value)
    finally:
        frames.pop()


def _item(value: Any, handler: ValidatorFunctionWrapHandler, info: ValidationInfo) -> Any:
    _state(info).frames[-1].index += 1
    return handler(value)


def _unique(info: ValidationInfo, key: Any, message: str) -> None:
    """Refuse a key an earlier item of this list took; the error names that item."""
    frame = _state(info).frames[-1]
    first = frame.seen.setdefault(key, frame.index)
    if first != frame.index:
        raise _rule("unique", message, first=first)


def _none_as_empty(value: Any) -> Any:
    # A section written with nothing under it (`fraud:`) is the section with its defaults.
    return {} if value is None else value


def _string_list(max_length: int) -> Parser:
    item = values.string(max_length)

    def parse(value: Any) -> tuple[str, ...]:
        if value is None:
            return ()
        if not isinstance(value, list):
            raise ValueError(f"must be a list, not {values.type_name(value)}")
        out: list[str] = []
        errors: list[tuple[tuple[str | int, ...], Any, str]] = []
        for i, raw in enumerate(value):
            try:
                parsed = item(raw)
            except ValueError as exc:
                errors.append(((i,), raw, str(exc)))
                continue
            if parsed in out:
                errors.append(((i,), raw, f"{parsed!r} is listed twice"))
            out.append(parsed)
        if errors:
            raise _errors(errors)
        return tuple(out)

    return parse


def _joinable(value: Any) -> tuple[str, ...]:
    joinable = _string_list(255)(value)
    if not joinable:
        raise _rule(
            "nonempty",
            "must list at least one origin that makes an advocate: "
            "affiliate_member, purchase or an event category",
        )
    return joinable


def _policies(value: Any) -> dict[str, str]:
    """Every policy's action: the file's, and the default for a policy it leaves out."""
    if value is None:
        return dict(screening.DEFAULT_ACTIONS)
    if not isinstance(value, dict):
        kind = values.type_name(value)
        raise ValueError(f"must be a mapping of policy name to block, flag or off, not {kind}")
    actions: dict[str, str] = {}
    errors: list[tuple[tuple[str | int, ...], Any, str]] = []
    for name, raw in value.items():
        if not isinstance(name, str):
            errors.append(((), value, f"policy names must be strings, not {name!r}"))
            continue
        action = values.policy_action(raw)
        try:
            # One at a time, so that every bad policy or action is named.
            screening.validate_actions({name: action})
        except ValueError as exc:
            errors.append(((name,), raw, str(exc)))
            continue
        actions[name] = action
    if errors:
        raise _errors(errors)
    return dict(screening.validate_actions(actions))


def _blocklist_value(value: Any, info: ValidationInfo) -> str:
    if not isinstance(value, str):
        raise ValueError(
            f"must be an email, IP address or CIDR range, not {values.type_name(value)}"
        )
    entry = validate_entry(value)
    _unique(info, entry, f"{entry!r} is already listed at ")
    return entry


def _blocklist_item(value: Any, handler: ValidatorFunctionWrapHandler, info: ValidationInfo) -> Any:
    # An entry is a string, or a mapping with a note beside the value.
    _state(info).frames[-1].index += 1
    if isinstance(value, dict):
        return handler(value)
    return BlocklistSpec.model_construct(value=_blocklist_value(value, info), note="")


def _unique_identifier(what: str) -> Callable[[Any, ValidationInfo], str]:
    def parse(value: Any, info: ValidationInfo) -> str:
        identifier = str(values.identifier(value))
        _unique(info, identifier, f"{what} {identifier!r} is already defined at ")
        return identifier

    return parse


def _static_code(value: Any, info: ValidationInfo) -> str | None:
    """The last field of a coupon list: with the others valid, incentives may use the list.
    (An unknown key beside them is an error of its own and does not make the list unknown.)"""
    code = values.optional(values.string(255))(value)
    identifier = info.data.get("identifier")  # absent when invalid or taken twice
    if identifier is None:
        return code
    state = _state(info)
    existing = state.existing_coupon_lists.get(identifier)
    if code and existing is not None and existing.pool_size:
        raise _rule(
            "pool",
            f"coupon list {identifier!r} already holds {existing.pool_size} single-use codes, "
            f"so it cannot become a static-code list",
        )
    if "name" in info.data:
        state.known_lists.add(identifier)
        if code:
            state.static_lists.add(identifier)
        else:
            state.static_lists.discard(identifier)
    return code


def _name_or(key: str) -> Callable[[Any, ValidationInfo], str]:
    """A name, by default the slug (when that is valid; otherwise the error is the slug's)."""

    def parse(value: Any, info: ValidationInfo) -> str:
        if value is _DEFAULT:
            return str(info.data.get(key, ""))
        return str(values.string(200)(value))

    return parse


def _starts_at(value: Any, info: ValidationInfo) -> datetime | None:
    moment = values.optional(values.moment)(value)
    if moment is None and info.data.get("status") == CampaignStatus.SCHEDULED:
        raise _rule("scheduled", "a Scheduled campaign needs starts_at")
    return moment


def _ends_at(value: Any, info: ValidationInfo) -> datetime | None:
    moment = values.optional(values.moment)(value)
    starts_at = info.data.get("starts_at")
    if moment is not None and starts_at is not None and moment <= starts_at:
        raise _rule("order", "must be later than starts_at")
    return moment


def _incentive_amount(value: Any, info: ValidationInfo) -> Decimal:
    amount = values.amount(value)
    if info.data.get("amount_type") == AmountType.PERCENTAGE and amount > 100:
        raise _rule("percentage", "a percentage must be between 0 and 100")
    return amount


def _incentive_currency(value: Any, info: ValidationInfo) -> str | None:
    currency = values.optional(values.currency)(value)
    if currency is not None and info.data.get("amount_type") == AmountType.PERCENTAGE:
        raise _rule("percentage", "only a fixed amount has a currency")
    return currency


def _coupon_list(value: Any, info: ValidationInfo) -> str | None:
    coupon_list = values.optional(values.identifier)(value)
    kind = info.data.get("incentive_type")
    if kind == IncentiveType.DISCOUNT_COUPON and coupon_list is None:
        raise _rule("use", "a discount_coupon incentive needs a coupon_list")
    if kind in (IncentiveType.REBATE, IncentiveType.OTHER) and coupon_list is not None:
        raise _rule("use", "only a discount_coupon incentive takes a coupon_list")
    if coupon_list is not None and coupon_list not in _state(info).known_lists:
        raise _rule("use", f"unknown coupon list {coupon_list!r}")
    return coupon_list


def _advocate_coupon_list(value: Any, info: ValidationInfo) -> str | None:
    coupon_list = values.optional(values.identifier)(value)
    if coupon_list is None:
        return None
    state = _state(info)
    if coupon_list not in state.known_lists:
        raise _rule("use", f"unknown coupon list {coupon_list!r}")
    if coupon_list in state.static_lists:
        raise _rule(
            "use",
            f"coupon list {coupon_list!r} has one static code for everyone; an advocate's "
            f"personal coupon needs a pool of single-use codes",
        )
    return coupon_list


def _advocate_coupon_pattern(value: Any, info: ValidationInfo) -> str:
    pattern = values.optional(values.string(100))(value) or ""
    if pattern and info.data.get("advocate_coupon_list") is not None:
        raise _rule("one", "takes either advocate_coupon_list or advocate_coupon_pattern, not both")
    if pattern:
        try:
            pattern_parse(pattern)
        except PatternError as exc:
            raise _rule("pattern", str(exc)) from None
    return pattern


def _criteria(value: Any, info: ValidationInfo) -> dict[str, Any]:
    if value is None:
        return {}
    return CriteriaSpec.model_validate(value, context=info.context).stored()


def _at_most(low: str, parse: Parser) -> Callable[[Any, ValidationInfo], Any]:
    """The upper end of a range: not below its lower end (when that is valid)."""

    def validate(value: Any, info: ValidationInfo) -> Any:
        high = parse(value)
        if (minimum := info.data.get(low)) is not None and minimum > high:
            raise _rule("range", f"must not be less than {low}")
        return high

    return validate


def _subscription_url(value: Any, info: ValidationInfo) -> str:
    url = str(values.url(2000)(value))
    allow = _state(info).frames[-1].data.get("allow_private_targets")
    if isinstance(allow, bool):
        host = urlsplit(url).hostname or ""
        refusal = check_literal_host(host, allow_private=allow)
        if refusal and check_literal_host(host, allow_private=True):
            # Metadata and link-local addresses: no setting lets a webhook go there.
            raise _rule("private", refusal)
        if refusal:
            raise _rule(
                "private", f"{refusal}; set webhooks.allow_private_targets: true to send there"
            )
    return url


def _subscription(value: Any, handler: ValidatorFunctionWrapHandler, info: ValidationInfo) -> Any:
    """A subscription, which may appear once: a type and URL that are valid are taken even
    when the URL is refused or a key is unknown, as those errors are named on their own."""
    _state(info).frames[-1].index += 1
    try:
        subscription = handler(value)
    except ValidationError as exc:
        errors = exc.errors()
        bad = {
            error["loc"][0]
            for error in errors
            if error["loc"] and (error.get("ctx") or {}).get("rule") != "private"
        }
        if not isinstance(value, dict) or bad & set(SubscriptionSpec.KEYS):
            raise
        key = (value["type"], values.url(2000)(value["url"]))
        try:
            _unique(info, key, f"{key[0]} to {key[1]} is already at ")
        except PydanticCustomError as duplicate:
            raise _with(exc, duplicate, value) from None
        raise
    key = (subscription.hook_type, subscription.url)
    _unique(info, key, f"{key[0]} to {key[1]} is already at ")
    return subscription


def _with(exc: ValidationError, error: PydanticCustomError, value: Any) -> ValidationError:
    """`exc`'s errors and one more about the whole value."""
    details: list[InitErrorDetails] = []
    for line in exc.errors():
        ctx = line.get("ctx") or {}
        kind = PydanticCustomError("config", "{message}", ctx) if line["type"] == "config" else None
        detail: InitErrorDetails = {
            "type": kind or line["type"],
            "loc": line["loc"],
            "input": line["input"],
        }
        if ctx and kind is None:
            detail["ctx"] = ctx
        details.append(detail)
    details.append({"type": error, "loc": (), "input": value})
    return ValidationError.from_exception_data("config", details)


class _Default:
    def __repr__(self) -> str:
        return "<default>"


_DEFAULT: Any = _Default()


def _field(parser: Callable[..., Any]) -> PlainValidator:
    return PlainValidator(parser)


# The leaves of the file, and how lists and sections are read.
_amount = values.amount
_count = values.integer(0)
_incentive_type = values.choice(IncentiveType.values)
_expiry_days = values.optional(values.integer(1, 36500))
Bool = Annotated[bool, _field(values.boolean)]
Duration = Annotated[int, _field(values.duration)]
Label = Annotated[str, _field(values.string(200, blank=True))]
Description = Annotated[str, _field(values.string(500, blank=True))]
Name = Annotated[str, _field(_name_or("slug"))]
Criterion = Annotated[int | None, _field(values.integer(1))]
ApprovalMode = Annotated[str, _field(values.choice(APPROVAL_MODES))]
FlaggedResolution = Annotated[str, _field(values.choice(FLAGGED_RESOLUTIONS))]
_ITEMS = WrapValidator(_items)
_ITEM = WrapValidator(_item)
_SECTION = BeforeValidator(_none_as_empty)


# ---------------------------------------------------------------- the file's structure


class _Model(BaseModel):
    """A mapping of the file. KEYS are its keys as an unknown key's error lists them (the
    required ones first); ORDER is the order its errors are listed in: each field, and after it
    or at the end the rules (`field:rule`, `:rule` for one about the whole item)."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, validate_by_alias=True, validate_by_name=False
    )

    KEYS: ClassVar[tuple[str, ...]] = ()
    ORDER: ClassVar[tuple[str, ...]] = ()
    # Keys whose value is a mapping (False) or a list of mappings (True) of another model.
    INNER: ClassVar[dict[str, tuple[type[_Model], bool]]] = {}

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        # Every error is ranked by these lists: a field they leave out would break the ranking.
        keys = {info.alias or name for name, info in cls.model_fields.items()}
        fields = {slot for slot in cls.ORDER if ":" not in slot}
        ruled = {slot.partition(":")[0] for slot in cls.ORDER if ":" in slot} - {""}
        if not set(cls.KEYS) == fields == keys or not ruled | set(cls.INNER) <= keys:
            raise TypeError(f"{cls.__name__}: KEYS, ORDER and INNER must name its fields")


def _claim_window(value: Any) -> int:
    seconds = values.duration(value)
    if not 60 <= seconds <= 30 * 86400:
        raise ValueError("must be between 1m and 30d")
    return seconds


class ClaimLimitsSpec(_Model):
    """Claim pages against anonymous draining of single-use pools (see docs/configuration.md)."""

    KEYS = ORDER = ("codes_per_ip", "code_window", "clicks_per_ip_per_minute")

    codes_per_ip: Annotated[int, _field(values.integer(1))] = CLAIM_CODES_PER_IP
    code_window: Annotated[int, _field(_claim_window)] = CLAIM_CODE_WINDOW_SECONDS
    clicks_per_ip_per_minute: Annotated[int, _field(values.integer(1))] = (
        CLAIM_CLICKS_PER_IP_PER_MINUTE
    )


class SiteSpec(_Model):
    KEYS = (
        "slug",
        "name",
        "currency",
        "time_zone",
        "base_url",
        "sticky_advocate",
        "void_on_refund",
        "claims",
    )
    ORDER = KEYS
    INNER = {"claims": (ClaimLimitsSpec, False)}

    slug: Annotated[str, _field(values.site_slug)]
    name: Name = Field(default=_DEFAULT, validate_default=True)
    currency: Annotated[str, _field(values.currency)] = "USD"
    time_zone: Annotated[str, _field(values.time_zone)] = DEFAULT_TIME_ZONE
    base_url: Annotated[str | None, _field(values.optional(values.base_url))] = None
    sticky_advocate: Bool = False
    void_on_refund: Bool = True
    claims: Annotated[ClaimLimitsSpec, _SECTION] = Field(default_factory=ClaimLimitsSpec)


class FlaggedSpec(_Model):
    KEYS = ORDER = ("resolution", "delay")

    resolution: FlaggedResolution = "voided"
    delay: Duration = DEFAULT_FLAGGED_DELAY


class ApprovalSpec(_Model):
    KEYS = ORDER = ("mode", "delay", "flagged")
    INNER = {"flagged": (FlaggedSpec, False)}

    mode: ApprovalMode = "automatic"
    delay: Duration = DEFAULT_APPROVAL_DELAY
    flagged: Annotated[FlaggedSpec, _SECTION] = Field(default_factory=FlaggedSpec)


class FraudSpec(_Model):
    KEYS = ORDER = ("policies", "approval")
    INNER = {"approval": (ApprovalSpec, False)}

    # Every policy, with the defaults filled in.
    policies: Annotated[dict[str, str], _field(_policies)] = Field(
        default_factory=lambda: _policies(None)
    )
    approval: Annotated[ApprovalSpec, _SECTION] = Field(default_factory=ApprovalSpec)

    @property
    def approval_mode(self) -> str:
        return self.approval.mode

    @property
    def approval_delay_seconds(self) -> int:
        return self.approval.delay

    @property
    def flagged_resolution(self) -> str:
        return self.approval.flagged.resolution

    @property
    def flagged_delay_seconds(self) -> int:
        return self.approval.flagged.delay


class BlocklistSpec(_Model):
    KEYS = ("value", "note")
    ORDER = ("note", "value", "value:unique", ":unique")

    value: Annotated[str, _field(_blocklist_value)]  # normalised by fraud.blocklist
    note: Label = ""


class CouponListSpec(_Model):
    KEYS = ("identifier", "name", "static_code")
    ORDER = ("identifier", "name", "static_code", "identifier:unique", "static_code:pool")

    identifier: Annotated[str, _field(_unique_identifier("coupon list"))]
    name: Label = ""
    static_code: Annotated[str | None, _field(_static_code)] = Field(
        default=None, validate_default=True
    )


class CriteriaSpec(_Model):
    KEYS = CRITERIA_KEYS
    ORDER = (*CRITERIA_KEYS, "subtotal_max:range", "referrals_max:range")

    new_customer: Annotated[bool | None, _field(values.boolean)] = None
    subtotal_min: Annotated[Decimal | None, _field(values.amount)] = None
    subtotal_max: Annotated[Decimal | None, _field(_at_most("subtotal_min", _amount))] = None
    referrals_min: Annotated[int | None, _field(values.integer(0))] = None
    referrals_max: Annotated[int | None, _field(_at_most("referrals_min", values.integer(0)))] = (
        None
    )
    reward_uniqueness: Annotated[str | None, _field(values.choice(REWARD_UNIQUENESS))] = None
    friend_event_category: Annotated[str | None, _field(values.string(255))] = None
    offer_not_expired: Annotated[bool | None, _field(values.boolean)] = None
    cap_total: Criterion = None
    cap_per_month: Criterion = None

    def stored(self) -> dict[str, Any]:
        """As `Incentive.criteria` stores them: the criteria the file gives, in CRITERIA_KEYS
        order."""
        given = self.model_fields_set
        return criteria_to_json({key: getattr(self, key) for key in CRITERIA_KEYS if key in given})


class IncentiveSpec(_Model):
    KEYS = (
        "identifier",
        "reason",
        "type",
        "amount",
        "amount_type",
        "currency",
        "coupon_list",
        "description",
        "criteria",
    )
    ORDER = (
        "identifier",
        "identifier:unique",
        "reason",
        "type",
        "amount",
        "amount_type",
        "currency",
        "coupon_list",
        "description",
        "criteria",
        "coupon_list:use",
        "amount:percentage",
        "currency:percentage",
    )
    INNER = {"criteria": (CriteriaSpec, False)}

    # Fields are read in this order: a rule's validator sees the valid fields above it.
    identifier: Annotated[str, _field(_unique_identifier("incentive"))]
    reason: Annotated[str, _field(values.choice(IncentiveReason.values))]
    incentive_type: Annotated[str, _field(values.choice(IncentiveType.values))] = Field(
        alias="type"
    )
    amount_type: Annotated[str, _field(values.choice(AmountType.values))] = AmountType.FIXED.value
    amount: Annotated[Decimal, _field(_incentive_amount)] = Decimal("0.00")
    # None: the site's currency, whatever it is at the time.
    currency: Annotated[str | None, _field(_incentive_currency)] = None
    coupon_list: Annotated[str | None, _field(_coupon_list)] = Field(
        default=None, validate_default=True
    )
    description: Description = ""
    # As stored: see criteria_to_json.
    criteria: Annotated[dict[str, Any], _field(_criteria)] = Field(default_factory=dict)


class CampaignSpec(_Model):
    KEYS = (
        "slug",
        "destination_url",
        "joinable",
        "name",
        "tags",
        "status",
        "starts_at",
        "ends_at",
        "offer_expiry_days",
        "gate_email",
        "advocate_coupon_list",
        "advocate_coupon_pattern",
        "incentives",
    )
    ORDER = (
        "slug",
        "slug:unique",
        "name",
        "tags",
        "status",
        "starts_at",
        "ends_at",
        "joinable",
        "destination_url",
        "offer_expiry_days",
        "gate_email",
        "advocate_coupon_list",
        "advocate_coupon_pattern",
        "joinable:nonempty",
        "starts_at:scheduled",
        "ends_at:order",
        "advocate_coupon_list:use",
        "advocate_coupon_pattern:one",
        "advocate_coupon_pattern:pattern",
        "incentives",
    )
    INNER = {"incentives": (IncentiveSpec, True)}

    slug: Annotated[str, _field(_unique_identifier("campaign"))]
    name: Name = Field(default=_DEFAULT, validate_default=True)
    tags: Annotated[tuple[str, ...], _field(_string_list(100))] = ()
    status: Annotated[str, _field(values.choice(CampaignStatus.values))] = CampaignStatus.LIVE.value
    starts_at: Annotated[datetime | None, _field(_starts_at)] = Field(
        default=None, validate_default=True
    )
    ends_at: Annotated[datetime | None, _field(_ends_at)] = None
    joinable: Annotated[tuple[str, ...], _field(_joinable)]
    destination_url: Annotated[str, _field(values.url(2000))]
    offer_expiry_days: Annotated[int | None, _field(values.optional(values.integer(1, 36500)))] = (
        None
    )
    gate_email: Bool = False
    # The advocate's personal coupon: a pool to take one code from, or a pattern to make one.
    advocate_coupon_list: Annotated[str | None, _field(_advocate_coupon_list)] = None
    advocate_coupon_pattern: Annotated[str, _field(_advocate_coupon_pattern)] = ""
    incentives: Annotated[tuple[Annotated[IncentiveSpec, _ITEM], ...], _ITEMS] = ()


class SubscriptionSpec(_Model):
    KEYS = ("type", "url", "active", "encoding")
    ORDER = ("type", "url", "active", "encoding", "url:private", ":unique")

    hook_type: Annotated[str, _field(values.choice(HOOK_TYPES))] = Field(alias="type")
    url: Annotated[str, _field(_subscription_url)]
    active: Bool = True
    encoding: Annotated[str, _field(values.choice(HOOK_ENCODINGS))] = "json"


class WebhooksSpec(_Model):
    """Subscriptions and webhook settings. `security_key` is write-only: None keeps the stored
    key (export never writes it)."""

    KEYS = ("security_key", "allow_private_targets", "retry_window", "subscriptions")
    ORDER = ("allow_private_targets", "retry_window", "security_key", "subscriptions")
    INNER = {"subscriptions": (SubscriptionSpec, True)}

    # Before the subscriptions, whose URLs it rules on.
    allow_private_targets: Bool = False
    retry_window_seconds: Annotated[int, _field(values.retry_window)] = Field(
        DEFAULT_RETRY_WINDOW, alias="retry_window"
    )
    security_key: Annotated[str | None, _field(values.optional(values.security_key))] = None
    subscriptions: Annotated[
        tuple[Annotated[SubscriptionSpec, WrapValidator(_subscription)], ...], _ITEMS
    ] = ()


class Program(_Model):
    KEYS = ("site", "version", "fraud", "blocklist", "coupon_lists", "campaigns", "webhooks")
    ORDER = ("version", "site", "fraud", "blocklist", "coupon_lists", "campaigns", "webhooks")
    INNER = {
        "site": (SiteSpec, False),
        "fraud": (FraudSpec, False),
        "blocklist": (BlocklistSpec, True),
        "coupon_lists": (CouponListSpec, True),
        "campaigns": (CampaignSpec, True),
        "webhooks": (WebhooksSpec, False),
    }

    version: Annotated[int, _field(values.format_version((FORMAT_VERSION,)))] = FORMAT_VERSION
    site: SiteSpec
    fraud: Annotated[FraudSpec, _SECTION] = Field(default_factory=FraudSpec)
    blocklist: Annotated[
        tuple[Annotated[BlocklistSpec, WrapValidator(_blocklist_item)], ...], _ITEMS
    ] = ()
    # Before the campaigns: their incentives may use only the lists known by then.
    coupon_lists: Annotated[tuple[Annotated[CouponListSpec, _ITEM], ...], _ITEMS] = ()
    campaigns: Annotated[tuple[Annotated[CampaignSpec, _ITEM], ...], _ITEMS] = ()
    webhooks: Annotated[WebhooksSpec, _SECTION] = Field(
        default_factory=lambda: WebhooksSpec.model_validate({})
    )


# ---------------------------------------------------------------- pydantic's errors in our words


def _model_at(loc: tuple[str | int, ...]) -> type[_Model] | None:
    """The model of the mapping at `loc`, if it is one."""
    model: type[_Model] | None = Program
    path = list(loc)
    while path and model is not None:
        inner = model.INNER.get(str(path.pop(0)))
        if inner is None:
            return None
        model, is_list = inner
        if is_list:
            if not path:
                return None  # the list itself
            path.pop(0)
    return model


def _rank(error: Mapping[str, Any], document: Any) -> tuple[int, ...]:
    """The error's place in the order the file is read: in each mapping, unknown keys (in the
    file's order), then missing ones (in KEYS order), then the fields and rules in ORDER; list
    items by index. pydantic lists unknown keys last and a rule at its field."""
    loc, kind = error["loc"], error["type"]
    rule = (error.get("ctx") or {}).get("rule")
    rank: list[int] = []
    model: type[_Model] | None = Program
    node = document
    i = 0
    while model is not None:
        if i == len(loc):
            if rule:
                rank += (2, model.ORDER.index(f":{rule}"))
            break
        key, last = loc[i], i == len(loc) - 1
        if last and kind in ("extra_forbidden", "invalid_key"):
            position = list(node).index(error["input"] if kind == "invalid_key" else key)
            rank += (0, position)
            break
        if last and kind == "missing":
            rank += (1, model.KEYS.index(str(key)))
            break
        rank += (2, model.ORDER.index(f"{key}:{rule}" if last and rule else str(key)))
        node = node.get(key) if isinstance(node, dict) else None
        inner = model.INNER.get(str(key))
        i += 1
        if inner is None:
            break  # inside a value such as tags or policies: its errors are in order already
        model, is_list = inner
        if is_list and i < len(loc):
            rank.append(int(loc[i]))
            node = node[loc[i]] if isinstance(node, list) else None
            i += 1
    return tuple(rank)


def _loc(loc: tuple[str | int, ...]) -> str:
    text = ""
    for part in loc:
        text = _index_loc(text, part) if isinstance(part, int) else key_loc(text, str(part))
    return text or "(document)"


def _config_error(error: Mapping[str, Any]) -> ConfigError:
    loc, kind, value = tuple(error["loc"]), error["type"], error["input"]
    ctx = error.get("ctx") or {}
    if kind == "invalid_key":
        return ConfigError(_loc(loc[:-1]), f"keys must be strings, not {value!r}")
    if kind == "extra_forbidden":
        model = _model_at(loc[:-1])
        allowed = ", ".join(model.KEYS) if model else ""
        return ConfigError(_loc(loc), f"unknown key (allowed: {allowed})")
    if kind == "missing":
        return ConfigError(_loc(loc), "required")
    if kind == "model_type":
        return ConfigError(_loc(loc), f"must be a mapping, not {values.type_name(value)}")
    if kind == "value_error":
        return ConfigError(_loc(loc), str(ctx["error"]))
    if kind == "config":
        message = ctx["message"]
        if "first" in ctx:  # the item that took the key first, in the same list
            at = max(i for i, part in enumerate(loc) if isinstance(part, int))
            message += _loc((*loc[:at], ctx["first"]))
        return ConfigError(_loc(loc), message)
    return ConfigError(_loc(loc), error["msg"])  # not expected: pydantic's own words


def _config_errors(exc: ValidationError, document: Any) -> list[ConfigError]:
    errors = exc.errors(include_url=False)
    ranked = sorted(range(len(errors)), key=lambda n: _rank(errors[n], document))
    return [_config_error(errors[n]) for n in ranked]


# ---------------------------------------------------------------- validating a document


def program_validate(
    document: Any, *, existing_coupon_lists: Mapping[str, ExistingCouponList] | None = None
) -> Program:
    """The program the document describes, or ConfigInvalid with every error found.

    `existing_coupon_lists` are the site's lists by identifier: incentives may use a list the
    file does not mention (apply keeps it), and a list that holds single-use codes cannot
    become a static one."""
    existing = existing_coupon_lists or {}
    state = _State(
        existing_coupon_lists=existing,
        known_lists=set(existing),
        static_lists={i for i, cl in existing.items() if cl.static_code},
    )
    try:
        return Program.model_validate(document, context={"state": state})
    except ValidationError as exc:
        raise ConfigInvalid(_config_errors(exc, document)) from None


def peek_site_slug(document: Any) -> str | None:
    """The site slug named by a document not yet validated, if it is a usable one."""
    site = document.get("site") if isinstance(document, dict) else None
    slug = site.get("slug") if isinstance(site, dict) else None
    if isinstance(slug, str) and re.fullmatch(SLUG_RE, slug):
        return slug
    return None
