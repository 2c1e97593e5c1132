"""A site's time zone: set on creation, by `goodword site time-zone` and by the configuration
file; an unknown name is refused wherever it is given, and nothing changes."""

from __future__ import annotations

import copy

import pytest

from goodword.config.schema import ConfigInvalid
from goodword.config.services import config_apply
from goodword.core.errors import ValidationFailed
from goodword.core.models import AuthVersion
from goodword.sites import auth
from goodword.sites.models import Site
from goodword.sites.services import site_create, site_time_zone_set
from tests.config.conftest import example_document
from tests.factories import SiteFactory
from tests.test_cli import run

pytestmark = pytest.mark.django_db


def test_a_site_is_created_in_utc_unless_told_otherwise():
    plain = site_create(slug="plain").api_key.site
    paris = site_create(slug="paris", time_zone="Europe/Paris").api_key.site

    assert (plain.time_zone, paris.time_zone) == ("UTC", "Europe/Paris")


@pytest.mark.parametrize("zone", ["Mars/Olympus", "", "utc+2", "../../etc/passwd", "x" * 65])
def test_an_unknown_zone_is_refused_and_nothing_changes(zone):
    # given a site in UTC
    site = SiteFactory()

    # when an unknown zone is given, on creation or later / then it is refused
    with pytest.raises(ValidationFailed, match="must be an IANA name"):
        site_create(slug="new-site", time_zone=zone)
    with pytest.raises(ValidationFailed, match="must be an IANA name"):
        site_time_zone_set(site=site, time_zone=zone)

    # and nothing changed
    assert not Site.objects.filter(slug="new-site").exists()
    site.refresh_from_db()
    assert site.time_zone == "UTC"


def test_setting_the_zone_tells_every_process_to_reload_its_keys():
    # given a site, and the key version every process watches
    site = SiteFactory()
    before = AuthVersion.objects.filter(pk=1).values_list("version", flat=True).first() or 0

    # when its zone is set
    site_time_zone_set(site=site, time_zone="Asia/Tokyo")

    # then it is stored, the version moved, and a fresh lookup by id carries the zone
    assert Site.objects.get(pk=site.pk).time_zone == "Asia/Tokyo"
    assert AuthVersion.objects.get(pk=1).version == before + 1
    auth.clear_cache()
    assert auth.site_ref(site.pk).time_zone == "Asia/Tokyo"


def test_the_cli_creates_a_site_in_a_zone_and_shows_and_sets_it(capsys):
    code, created, _ = run(capsys, "site", "create", "shop", "--time-zone", "America/Chicago")
    assert (code, created["time_zone"]) == (0, "America/Chicago")

    code, shown, _ = run(capsys, "site", "time-zone", "shop")
    assert (code, shown) == (0, {"site_slug": "shop", "time_zone": "America/Chicago"})

    code, changed, _ = run(capsys, "site", "time-zone", "shop", "Europe/Berlin")
    assert (code, changed["time_zone"]) == (0, "Europe/Berlin")
    assert Site.objects.get(slug="shop").time_zone == "Europe/Berlin"


def test_the_cli_refuses_an_unknown_zone(capsys):
    run(capsys, "site", "create", "shop")

    code, out, err = run(capsys, "site", "time-zone", "shop", "Mars/Olympus")

    assert (code, out) == (2, None)
    assert "must be an IANA name" in err
    assert Site.objects.get(slug="shop").time_zone == "UTC"


def test_the_configuration_file_sets_the_zone():
    example = example_document()
    # given the example file, whose site is in New York
    config_apply(document=example)
    assert Site.objects.get(slug="my-store").time_zone == "America/New_York"

    # when it is applied again with another zone
    changed = copy.deepcopy(example)
    changed["site"]["time_zone"] = "Europe/Lisbon"
    config_apply(document=changed)

    # then the site has it
    assert Site.objects.get(slug="my-store").time_zone == "Europe/Lisbon"


def test_the_configuration_file_refuses_an_unknown_zone():
    broken = example_document()
    broken["site"]["time_zone"] = "Mars/Olympus"

    with pytest.raises(ConfigInvalid) as refused:
        config_apply(document=broken)

    assert (
        "site.time_zone: must be an IANA time zone name such as America/New_York, "
        "not 'Mars/Olympus'"
    ) in str(refused.value)
    assert not Site.objects.filter(slug="my-store").exists()
