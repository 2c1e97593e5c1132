"""Coupon writes: single-use codes arriving in bulk, handed out once each, handed back, and
counted when an origin carries them. Coupon lists themselves are written by
`goodword.config.services.config_apply`.

Coupons know nothing of what the codes are for: rewards and campaigns depend on this app, never
the reverse (ADR 0010)."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from itertools import islice
from typing import Any

from django.db import connection, models, transaction
from django.db.models.functions import Coalesce

from goodword.core.clock import now
from goodword.core.db import is_postgres
from goodword.core.errors import DomainError, NotFound, ValidationFailed
from goodword.coupons.locks import coupon_list_lock
from goodword.coupons.models import Coupon, CouponList
from goodword.coupons.patterns import pattern_make
from goodword.sites.models import Site

# Codes per executemany: bounds the memory a 10-million-line file needs.
IMPORT_BATCH_SIZE = 5000
CODE_MAX_LENGTH = 255


@dataclass(frozen=True)
class ImportReport:
    imported: int
    duplicates: int  # already on the site (in any list) or repeated in the input

    @property
    def total(self) -> int:
        return self.imported + self.duplicates


def coupons_import(*, site: Site, coupon_list: CouponList, codes: Iterable[str]) -> ImportReport:
    """Add single-use codes to a pool list. Blank codes are skipped; a code the site already
    has (codes are unique per site) or that repeats counts as a duplicate and is left alone.

    All or nothing: one transaction, so a bad code halfway through a file imports nothing. What
    the new codes unblock (rewards waiting for them) is the caller's business: the report says
    how many were added."""
    if coupon_list.site_id != site.pk:
        raise NotFound(
            "coupon_list_not_found",
            f"Site {site.slug!r} has no coupon list {coupon_list.identifier!r}",
        )
    if coupon_list.static_code:
        raise DomainError(
            "coupon_list_static",
            f"Coupon list {coupon_list.identifier!r} hands out the static code "
            f"{coupon_list.static_code!r} to everyone; single-use codes can only be imported "
            f"into a list without a static_code",
        )
    moment = now()
    seen = 0
    with transaction.atomic():
        # Imports into one list run one at a time, so the count difference is exactly ours.
        coupon_list_lock(id=coupon_list.pk)
        before = Coupon.objects.filter(coupon_list=coupon_list).count()
        with connection.cursor() as cursor:
            for batch in _batches(_clean(codes), IMPORT_BATCH_SIZE):
                seen += len(batch)
                _insert_batch(
                    cursor,
                    site=site,
                    coupon_list=coupon_list,
                    moment=moment,
                    codes=list(dict.fromkeys(batch)),
                )
        imported = Coupon.objects.filter(coupon_list=coupon_list).count() - before
    return ImportReport(imported=imported, duplicates=seen - imported)


def _insert_batch(
    cursor: Any, *, site: Site, coupon_list: CouponList, moment: datetime, codes: list[str]
) -> None:
    """Insert codes, skipping any the site has (the (site, code) constraint decides).

    Plain SQL: the ORM's bulk_create spends about 0.1 ms of Python per row, ten seconds per
    100,000 codes. PostgreSQL takes a batch as one array parameter in one statement; SQLite
    runs executemany's loop inside the driver."""
    meta = Coupon._meta
    quote = connection.ops.quote_name
    column = {f.name: str(f.column) for f in meta.concrete_fields}
    columns = ", ".join(
        quote(column[name])
        for name in ("code", "site", "coupon_list", "created_at", "claimed_at", "usages")
    )
    table = quote(meta.db_table)
    created_at = meta.get_field("created_at").get_db_prep_save(moment, connection)
    if is_postgres():
        cursor.execute(
            f"INSERT INTO {table} ({columns}) SELECT code, %s, %s, %s, NULL, 0 "
            f"FROM unnest(%s::text[]) AS code ON CONFLICT DO NOTHING",
            [site.pk, coupon_list.pk, created_at, codes],
        )
    else:
        cursor.executemany(
            f"INSERT INTO {table} ({columns}) VALUES (%s, %s, %s, %s, NULL, 0) "
            "ON CONFLICT DO NOTHING",
            [(code, site.pk, coupon_list.pk, created_at) for code in codes],
        )


def _clean(codes: Iterable[str]) -> Iterator[str]:
    for position, raw in enumerate(codes, start=1):
        code = raw.strip()
        if not code:
            continue
        if len(code) > CODE_MAX_LENGTH:
            raise ValidationFailed(
                "coupon_code_too_long",
                f"Code #{position} ({code[:20]}...) is longer than {CODE_MAX_LENGTH} characters",
            )
        yield code


def _batches(items: Iterable[str], size: int) -> Iterator[list[str]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def coupon_codes_from_csv(lines: Iterable[str]) -> Iterator[str]:
    """The codes of a CSV file: the `code` column when the first row names one (any letter
    case), otherwise the only column, header-less. Blank cells are skipped by the import."""
    reader = csv.reader(lines)
    first = next((row for row in reader if any(cell.strip() for cell in row)), None)
    if first is None:
        return
    names = [cell.strip().lower() for cell in first]
    if "code" in names:
        column = names.index("code")
    elif sum(1 for cell in first if cell.strip()) > 1:
        raise ValidationFailed(
            "coupon_csv_columns",
            "The CSV has several columns and none is named `code`: add a `code` header, or "
            "give one code per line",
        )
    else:
        column = next(i for i, cell in enumerate(first) if cell.strip())
        yield first[column]
    for row in reader:
        if column < len(row):
            yield row[column]


def coupons_take(*, site_id: int, coupon_list_id: int, count: int) -> list[tuple[int | None, str]]:
    """Up to `count` codes from a list, each as (coupon id, code): the static code for everyone
    (no id), or unused pool codes claimed for good, fewer when the pool runs dry. The
    conditional UPDATE hands each pool code out once, whatever runs concurrently; on
    PostgreSQL `SKIP LOCKED` lets concurrent takers pass each other instead of queueing."""
    if count <= 0:
        return []
    static = (
        CouponList.objects.filter(pk=coupon_list_id, site_id=site_id)
        .values_list("static_code", flat=True)
        .first()
    )
    if static:
        return [(None, static)] * count
    table = Coupon._meta.db_table
    pick = f"SELECT id FROM {table} WHERE coupon_list_id = %s AND claimed_at IS NULL ORDER BY id"
    if is_postgres():
        # Materialized: as a plain `IN (subquery)` PostgreSQL may run the LIMITed subquery
        # more than once and claim more codes than asked for.
        sql = (
            f"WITH picked AS MATERIALIZED ({pick} LIMIT %s FOR UPDATE SKIP LOCKED) "
            f"UPDATE {table} SET claimed_at = %s WHERE id IN (SELECT id FROM picked) "
            f"AND claimed_at IS NULL RETURNING id, code"
        )
    else:
        sql = (
            f"WITH picked AS ({pick} LIMIT %s) UPDATE {table} SET claimed_at = %s "
            f"WHERE id IN (SELECT id FROM picked) AND claimed_at IS NULL RETURNING id, code"
        )
    stamp = Coupon._meta.get_field("claimed_at").get_db_prep_save(now(), connection)
    taken: list[tuple[int | None, str]] = []
    for _ in range(20):
        with connection.cursor() as cursor:
            cursor.execute(sql, [coupon_list_id, count - len(taken), stamp])
            rows = cursor.fetchall()
        taken += sorted((int(row[0]), str(row[1])) for row in rows)
        if len(taken) >= count:
            break
        # Fewer than asked: the pool is dry, or codes were skipped while others held them.
        if not Coupon.objects.filter(
            coupon_list_id=coupon_list_id, claimed_at__isnull=True
        ).exists():
            break
    return taken


def coupons_record_use(*, site_id: int, codes: list[str], used_at: datetime) -> int:
    """Count an origin's use of the site's codes (static codes have no row: nothing to count)."""
    if not codes:
        return 0
    return Coupon.objects.filter(site_id=site_id, code__in=codes).update(
        usages=models.F("usages") + 1,
        used_at=Coalesce("used_at", models.Value(used_at)),
    )


def coupons_release(*, coupon_ids: Iterable[int]) -> int:
    """Hand taken pool codes back (the reward they were taken for was not stored after all),
    so the next take finds them again. Returns how many went back."""
    ids = sorted(set(coupon_ids))
    if not ids:
        return 0
    return Coupon.objects.filter(pk__in=ids, claimed_at__isnull=False).update(claimed_at=None)


@dataclass(frozen=True)
class PersonalCode:
    code: str
    made: bool  # made from a pattern (the merchant's shop must create it), not a pool's


def coupon_personal_code(
    *, site_id: int, coupon_list_id: int | None, pattern: str
) -> PersonalCode | None:
    """An advocate's personal coupon code: one unused code of the pool `coupon_list_id` (taken
    for good), or one made from `pattern` that no pool of the site holds; None when the pool
    is dry or is a static-code list (one code for everyone is nobody's personal code). The
    caller stores it where a second advocate cannot take it (the offer's unique code)."""
    if coupon_list_id is not None:
        taken = coupons_take(site_id=site_id, coupon_list_id=coupon_list_id, count=1)
        if not taken or taken[0][0] is None:
            return None
        return PersonalCode(taken[0][1], made=False)
    if not pattern:
        return None
    for _ in range(10):
        code = pattern_make(pattern)
        if not Coupon.objects.filter(site_id=site_id, code=code).exists():
            return PersonalCode(code, made=True)
    raise DomainError("pattern_exhausted", f"No free code left for the pattern {pattern!r}")
