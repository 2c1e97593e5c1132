"""Importing single-use coupon codes: CSV shapes, duplicates, refusals, and volume."""

from __future__ import annotations

import io
import time

import pytest

from goodword.campaigns.models import Coupon
from goodword.campaigns.services import (
    coupon_codes_from_csv,
    coupon_list_get,
    coupons_import,
)
from goodword.core.errors import DomainError, NotFound, ValidationFailed
from tests.factories import CouponFactory, CouponListFactory, SiteFactory


def codes_of(text: str) -> list[str]:
    return list(coupon_codes_from_csv(io.StringIO(text, newline="")))


# -- reading the CSV


@pytest.mark.parametrize(
    ("text", "codes"),
    [
        pytest.param("code\nA\nB\n", ["A", "B"], id="header"),
        pytest.param("Code\r\nA\r\nB\r\n", ["A", "B"], id="header-any-case-crlf"),
        pytest.param("batch,code,note\n1,A,x\n2,B,y\n", ["A", "B"], id="code-column"),
        pytest.param("A\nB\n", ["A", "B"], id="no-header"),
        pytest.param("\n\nA\n\nB", ["A", "B"], id="blank-lines"),
        pytest.param('"A,1"\nB\n', ["A,1", "B"], id="quoted"),
        pytest.param("code\n", [], id="header-only"),
        pytest.param("", [], id="empty"),
        pytest.param("code,batch\nA,1\n,2\nB\n", ["A", "", "B"], id="short-and-blank-rows"),
    ],
)
def test_codes_come_from_the_code_column_or_the_only_column(text, codes):
    assert codes_of(text) == codes


def test_several_columns_without_a_code_header_are_refused():
    with pytest.raises(ValidationFailed) as refused:
        codes_of("voucher,batch\nA,1\n")
    assert refused.value.code == "coupon_csv_columns"


# -- importing


def test_codes_are_imported_and_duplicates_counted(db):
    # given a pool that has one code, and another list on the same site with another
    pool = CouponListFactory()
    site = pool.site
    CouponFactory(coupon_list=pool, code="OLD")
    CouponFactory(coupon_list=CouponListFactory(site=site), code="ELSEWHERE")

    # when codes are imported: new ones, blanks, repeats, and codes the site already has
    report = coupons_import(
        site=site,
        coupon_list=pool,
        codes=["NEW-1", " NEW-2 ", "", "  ", "NEW-1", "OLD", "ELSEWHERE", "new-1"],
    )

    # then the new codes (stripped, case kept) are in the pool, unclaimed
    assert (report.imported, report.duplicates, report.total) == (3, 3, 6)
    in_pool = Coupon.objects.filter(coupon_list=pool)
    assert sorted(in_pool.values_list("code", flat=True)) == ["NEW-1", "NEW-2", "OLD", "new-1"]
    assert all(c.claimed_at is None and c.site_id == site.pk for c in in_pool)
    # and a code the site has in another list stays there
    assert Coupon.objects.get(code="ELSEWHERE").coupon_list != pool


def test_codes_are_unique_per_site_not_across_sites(db):
    pool = CouponListFactory()
    CouponFactory(coupon_list=CouponListFactory(site=SiteFactory()), code="SHARED")

    report = coupons_import(site=pool.site, coupon_list=pool, codes=["SHARED"])

    assert (report.imported, report.duplicates) == (1, 0)


def test_importing_the_same_file_twice_imports_nothing_the_second_time(db):
    pool = CouponListFactory()
    codes = [f"C-{i}" for i in range(50)]
    coupons_import(site=pool.site, coupon_list=pool, codes=codes)

    report = coupons_import(site=pool.site, coupon_list=pool, codes=codes)

    assert (report.imported, report.duplicates) == (0, 50)
    assert Coupon.objects.filter(coupon_list=pool).count() == 50


def test_a_static_list_is_refused(db):
    static = CouponListFactory(identifier="welcome", static_code="WELCOME10")

    with pytest.raises(DomainError) as refused:
        coupons_import(site=static.site, coupon_list=static, codes=["A"])

    assert refused.value.code == "coupon_list_static"
    assert "'welcome'" in refused.value.message and "'WELCOME10'" in refused.value.message
    assert not Coupon.objects.exists()


def test_a_list_of_another_site_is_refused(db):
    pool = CouponListFactory()

    with pytest.raises(NotFound):
        coupons_import(site=SiteFactory(), coupon_list=pool, codes=["A"])

    assert not Coupon.objects.exists()


def test_a_code_too_long_refuses_the_whole_import(db):
    pool = CouponListFactory()
    codes = [f"C-{i}" for i in range(6000)] + ["X" * 256]

    with pytest.raises(ValidationFailed) as refused:
        coupons_import(site=pool.site, coupon_list=pool, codes=codes)

    assert refused.value.code == "coupon_code_too_long"
    assert "#6001" in refused.value.message
    assert not Coupon.objects.exists()


def test_coupon_list_get(db):
    pool = CouponListFactory(identifier="pool")

    assert coupon_list_get(site=pool.site, identifier="pool") == pool
    with pytest.raises(NotFound):
        coupon_list_get(site=SiteFactory(), identifier="pool")


def test_a_hundred_thousand_codes_import_quickly(db):
    # given a CSV of 100,000 codes, 1,000 of them already on the site
    pool = CouponListFactory()
    Coupon.objects.bulk_create(
        Coupon(site=pool.site, coupon_list=pool, code=f"CODE-{i:06d}", created_at=pool.created_at)
        for i in range(1000)
    )
    text = "code\n" + "".join(f"CODE-{i:06d}\n" for i in range(100_000))

    # when it is imported
    started = time.perf_counter()
    report = coupons_import(site=pool.site, coupon_list=pool, codes=codes_of_stream(text))
    elapsed = time.perf_counter() - started

    # then every new code is in, in seconds
    assert (report.imported, report.duplicates) == (99_000, 1000)
    assert Coupon.objects.filter(coupon_list=pool).count() == 100_000
    assert elapsed < 10, f"{elapsed:.1f}s"


def codes_of_stream(text: str):
    return coupon_codes_from_csv(io.StringIO(text, newline=""))
