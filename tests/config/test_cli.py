"""`goodword config apply|export` and `goodword coupons import` from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from goodword.campaigns.models import Incentive
from goodword.cli import main
from goodword.coupons.models import Coupon
from goodword.sites.models import ApiKey, Site
from goodword.sites.services import hash_key
from tests.config.conftest import EXAMPLE, as_file_values, example_document
from tests.config.test_apply import snapshot
from tests.factories import CouponListFactory, SiteFactory


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_apply_creates_the_site_and_prints_its_key_once(db, capsys):
    # when the example is applied from the command line
    code, out, err = run(capsys, "config", "apply", str(EXAMPLE))

    # then it prints the new site's key and a summary of what it created
    assert code == 0, err
    report = json.loads(out)
    assert report["site_slug"] == "my-store"
    key = ApiKey.objects.get(site__slug="my-store")
    assert key.key_hash == hash_key(report["api_key"])
    assert report["summary"].startswith("created ")
    assert "campaign invite: created" in report["changes"]
    assert report["warnings"] == []
    assert err == ""

    # when it is applied again
    code, out, err = run(capsys, "config", "apply", str(EXAMPLE))

    # then nothing changes and no key is printed
    assert code == 0
    again = json.loads(out)
    assert again == {
        "site_slug": "my-store",
        "dry_run": False,
        "summary": "no changes",
        "changes": [],
        "warnings": [],
    }


def test_apply_reads_json_too(db, capsys, tmp_path):
    path = tmp_path / "site.json"
    path.write_text(json.dumps(as_file_values(example_document())))

    code, _, _ = run(capsys, "config", "apply", str(path))

    assert code == 0
    assert Site.objects.filter(slug="my-store").exists()


def test_apply_lists_every_error_with_its_location_and_writes_nothing(db, capsys, tmp_path):
    # given a copy of the example with three mistakes
    text = EXAMPLE.read_text()
    text = text.replace("currency: USD\n  time_zone", "currency: dollars\n  time_zone")
    text = text.replace(
        "coupon_list: friend-10\n        amount: 10\n        amount_type: fixed\n"
        "        description: $10 off your first order\n      - identifier: fri",
        "coupon_list: friend-5\n        amount: 10\n        amount_type: fixed\n"
        "        description: $10 off your first order\n      - identifier: fri",
        1,
    )
    text = text.replace("cap_per_month: 10", "cap_per_month: 0")
    path = tmp_path / "broken.yml"
    path.write_text(text)

    # when it is applied
    code, out, err = run(capsys, "config", "apply", str(path))

    # then it exits 2, names each error by place on stderr, prints nothing, writes nothing
    assert code == 2
    assert out == ""
    assert err.splitlines() == [
        f"goodword: {path}: site.currency: must be a three-letter ISO currency code, not 'dollars'",
        f"goodword: {path}: campaigns[0].incentives[0].criteria.cap_per_month: "
        f"must be between 1 and 2147483647",
        f"goodword: {path}: campaigns[0].incentives[1].coupon_list: unknown coupon list 'friend-5'",
        f"goodword: {path}: nothing applied",
    ]
    assert all(not rows for rows in snapshot().values())


def test_apply_locates_a_syntax_error(db, capsys, tmp_path):
    path = tmp_path / "site.yml"
    path.write_text("site:\n  slug: shop\n  name: [unclosed\n")

    code, _, err = run(capsys, "config", "apply", str(path))

    assert code == 2
    assert err.splitlines()[0].startswith(f"goodword: {path}: line 4, column 1: ")


def test_apply_of_a_missing_file(db, capsys, tmp_path):
    code, _, err = run(capsys, "config", "apply", str(tmp_path / "nope.yml"))

    assert code == 2
    assert err == f"goodword: cannot read {tmp_path / 'nope.yml'}: No such file or directory\n"


def test_apply_dry_run_writes_nothing(db, capsys):
    code, out, _ = run(capsys, "config", "apply", "--dry-run", str(EXAMPLE))

    assert code == 0
    report = json.loads(out)
    assert report["dry_run"] is True and "api_key" not in report
    assert "site my-store: created" in report["changes"]
    assert not Site.objects.exists()


def test_apply_prints_warnings_on_stderr(db, capsys, tmp_path):
    run(capsys, "config", "apply", str(EXAMPLE))
    document = example_document()
    document["campaigns"] = document["campaigns"][1:]
    path = tmp_path / "smaller.yml"
    path.write_text(yaml.safe_dump(document))

    code, out, err = run(capsys, "config", "apply", str(path))

    assert code == 0
    assert err == "goodword: warning: campaign 'invite' is not in the file; it is now Disabled\n"
    assert json.loads(out)["changes"] == ["campaign invite: disabled"]


def test_export_prints_yaml_that_applies_as_a_no_op(db, capsys, tmp_path):
    run(capsys, "config", "apply", str(EXAMPLE))

    code, out, _ = run(capsys, "config", "export", "my-store")

    assert code == 0
    assert out.startswith("# Goodword configuration of site my-store")
    assert yaml.safe_load(out) == as_file_values(example_document())
    path = tmp_path / "exported.yml"
    path.write_text(out)
    code, out, _ = run(capsys, "config", "apply", str(path))
    assert json.loads(out)["summary"] == "no changes"


def test_export_writes_json_to_a_file(db, capsys, tmp_path):
    run(capsys, "config", "apply", str(EXAMPLE))
    path = tmp_path / "site.json"

    code, out, _ = run(capsys, "config", "export", "my-store", "--output", str(path))

    assert code == 0 and out == ""
    assert json.loads(path.read_text()) == as_file_values(example_document())


def test_export_format_flag_wins_over_the_extension(db, capsys, tmp_path):
    SiteFactory(slug="shop")
    path = tmp_path / "site.txt"

    run(capsys, "config", "export", "shop", "-o", str(path), "--format", "json")

    assert json.loads(path.read_text())["site"]["slug"] == "shop"


def test_export_of_an_unknown_site(db, capsys):
    code, out, err = run(capsys, "config", "export", "nope")

    assert (code, out) == (2, "")
    assert err.startswith("goodword: ")


def test_coupons_import(db, capsys, tmp_path):
    # given the example's pool list and a CSV with a header, a blank and a repeat
    run(capsys, "config", "apply", str(EXAMPLE))
    path = tmp_path / "codes.csv"
    path.write_text("code,batch\nF-1,a\nF-2,a\n,a\nF-1,b\nF-3,b\n")

    # when it is imported
    code, out, err = run(capsys, "coupons", "import", "my-store", "friend-10", str(path))

    # then the codes are in the list, and the report counts the repeat
    assert code == 0, err
    assert json.loads(out) == {
        "site_slug": "my-store",
        "coupon_list": "friend-10",
        "imported": 3,
        "duplicates": 1,
    }
    assert sorted(Coupon.objects.values_list("code", flat=True)) == ["F-1", "F-2", "F-3"]
    # and the incentive that hands them out uses that list
    assert Incentive.objects.filter(coupon_list__coupons__code="F-1").count() == 2


def test_coupons_import_refuses_a_static_list(db, capsys, tmp_path):
    run(capsys, "config", "apply", str(EXAMPLE))
    path = tmp_path / "codes.csv"
    path.write_text("A-1\nA-2\n")

    code, out, err = run(capsys, "coupons", "import", "my-store", "welcome", str(path))

    assert (code, out) == (2, "")
    assert "static code 'WELCOME10'" in err
    assert not Coupon.objects.exists()


def test_coupons_import_of_an_unknown_list_or_file(db, capsys, tmp_path):
    CouponListFactory(site=SiteFactory(slug="shop"), identifier="pool")
    path = tmp_path / "codes.csv"
    path.write_text("A-1\n")

    code, _, err = run(capsys, "coupons", "import", "shop", "nope", str(path))
    assert code == 2 and "no coupon list 'nope'" in err

    code, _, err = run(capsys, "coupons", "import", "shop", "pool", str(tmp_path / "x.csv"))
    assert code == 2 and "cannot read" in err
    assert not Coupon.objects.exists()


def test_the_example_in_the_docs_is_the_example_file():
    docs = (Path(__file__).resolve().parents[2] / "docs" / "configuration.md").read_text()
    body = EXAMPLE.read_text()
    assert body in docs
