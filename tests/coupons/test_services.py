"""Coupon writes: importing single-use codes (CSV shapes, duplicates, refusals, volume), taking
them, handing them back, and counting their use."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest

from goodword.core.errors import DomainError, NotFound, ValidationFailed
from goodword.coupons.models import Coupon
from goodword.coupons.services import (
    coupon_codes_from_csv,
    coupons_import,
    coupons_record_use,
    coupons_release,
    coupons_take,
)
from goodword.worker.models import Job
from tests.factories import CouponFactory, CouponListFactory, SiteFactory
from tests.roundtrips import statements

# 100,000 codes in a few dozen statements (about 25 measured; one a code would be 100,000).
MAX_IMPORT_STATEMENTS = 100


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


def test_a_hundred_thousand_codes_import_in_batches(db):
    # given a CSV of 100,000 codes, 1,000 of them already on the site
    pool = CouponListFactory()
    Coupon.objects.bulk_create(
        Coupon(site=pool.site, coupon_list=pool, code=f"CODE-{i:06d}", created_at=pool.created_at)
        for i in range(1000)
    )
    text = "code\n" + "".join(f"CODE-{i:06d}\n" for i in range(100_000))

    # when it is imported
    with statements() as sent:
        report = coupons_import(site=pool.site, coupon_list=pool, codes=codes_of_stream(text))

    # then every new code is in, written in batches rather than a statement a code (the
    # statement count, not the wall clock, is what keeps a large import fast)
    assert (report.imported, report.duplicates) == (99_000, 1000)
    assert Coupon.objects.filter(coupon_list=pool).count() == 100_000
    assert len(sent) <= MAX_IMPORT_STATEMENTS, len(sent)


def codes_of_stream(text: str):
    return coupon_codes_from_csv(io.StringIO(text, newline=""))


def test_an_import_leaves_no_follow_up_work_of_its_own(db):
    # given a pool (rewards waiting for its codes are the caller's business: ADR 0010)
    pool = CouponListFactory()

    # when codes are imported directly
    report = coupons_import(site=pool.site, coupon_list=pool, codes=["A", "B"])

    # then the codes are in and no job was queued by the coupons app
    assert report.imported == 2
    assert not Job.objects.exists()


# -- taking, handing back, counting use


def test_taking_claims_the_oldest_unclaimed_codes_once(db, frozen_now):
    # given a pool of three codes, the first already handed out
    pool = CouponListFactory()
    first, second, third = (CouponFactory(coupon_list=pool, code=c) for c in ("A", "B", "C"))
    Coupon.objects.filter(pk=first.pk).update(claimed_at=frozen_now)

    # when two codes are taken, then two more
    taken = coupons_take(site_id=pool.site_id, coupon_list_id=pool.pk, count=2)
    more = coupons_take(site_id=pool.site_id, coupon_list_id=pool.pk, count=2)

    # then the first take got the two free codes in order, stamped now, and the pool is dry
    assert taken == [(second.pk, "B"), (third.pk, "C")]
    assert more == []
    assert set(Coupon.objects.values_list("claimed_at", flat=True)) == {frozen_now}


def test_taking_from_a_static_list_gives_its_code_to_everyone(db):
    static = CouponListFactory(static_code="WELCOME10")

    taken = coupons_take(site_id=static.site_id, coupon_list_id=static.pk, count=3)

    assert taken == [(None, "WELCOME10")] * 3


def test_taking_nothing_or_from_another_sites_list_gives_nothing(db):
    pool = CouponFactory().coupon_list
    static = CouponListFactory(static_code="WELCOME10")

    assert coupons_take(site_id=pool.site_id, coupon_list_id=pool.pk, count=0) == []
    assert coupons_take(site_id=pool.site_id, coupon_list_id=static.pk, count=1) == []


def test_a_released_code_is_taken_again(db, frozen_now):
    # given a pool whose only code was taken
    pool = CouponFactory(code="A").coupon_list
    [(coupon_id, _)] = coupons_take(site_id=pool.site_id, coupon_list_id=pool.pk, count=1)
    assert coupon_id is not None

    # when it is handed back (twice: the second finds nothing to release)
    released = coupons_release(coupon_ids=[coupon_id, coupon_id])
    again = coupons_release(coupon_ids=[coupon_id])

    # then it went back once and the next take gets it
    assert (released, again) == (1, 0)
    assert coupons_take(site_id=pool.site_id, coupon_list_id=pool.pk, count=1) == [(coupon_id, "A")]
    assert coupons_release(coupon_ids=[]) == 0


def test_use_is_counted_on_the_sites_codes_and_first_use_kept(db, frozen_now):
    # given a code on the site and the same text on another site
    coupon = CouponFactory(code="A")
    elsewhere = CouponFactory(code="A")
    earlier = frozen_now - timedelta(days=1)

    # when two origins carry it (the later reported first), and one carries an unknown code
    counted = coupons_record_use(site_id=coupon.site_id, codes=["A", "NOPE"], used_at=frozen_now)
    coupons_record_use(site_id=coupon.site_id, codes=["A"], used_at=earlier)

    # then only the site's code counts, twice, with the first use it was told of
    coupon.refresh_from_db()
    elsewhere.refresh_from_db()
    assert counted == 1
    assert (coupon.usages, coupon.used_at) == (2, frozen_now)
    assert (elsewhere.usages, elsewhere.used_at) == (0, None)
    assert coupons_record_use(site_id=coupon.site_id, codes=[], used_at=frozen_now) == 0
