"""Manager pages: settings read-only as the configuration file, API keys (create, revoke: a
rotation), coupon import. Agents and viewers get 403."""

from __future__ import annotations

import pytest
import yaml
from django.core.files.uploadedfile import SimpleUploadedFile

from goodword.coupons.models import Coupon
from goodword.portal.models import AuditEntry
from goodword.sites.models import ApiKey
from tests.conftest import ApiClient
from tests.portal.support import client_for, make_staff
from tests.referrals.program import build_program

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_now")]


@pytest.fixture
def manager(api_site):
    return make_staff(api_site.site, "manager")


@pytest.fixture
def manager_client(manager):
    return client_for(manager)


def test_settings_show_the_configuration_file_and_offer_it_for_download(api_site, manager_client):
    build_program(api_site.site)

    page = manager_client.get(f"/portal/{api_site.slug}/settings/").content.decode()
    download = manager_client.get(f"/portal/{api_site.slug}/settings/config.yaml")

    assert "goodword config apply" in page and "Invite a friend" in page
    assert download["Content-Disposition"] == f'attachment; filename="{api_site.slug}.yaml"'
    document = yaml.safe_load(download.content)
    assert document["site"]["slug"] == api_site.slug
    assert [c["slug"] for c in document["campaigns"]] == ["invite"]


@pytest.mark.parametrize(
    "path", ["settings/", "settings/config.yaml", "api-keys/", "coupons/import/"]
)
def test_agents_and_viewers_cannot_open_manager_pages(api_site, agent_client, viewer_client, path):
    assert agent_client.get(f"/portal/{api_site.slug}/{path}").status_code == 403
    assert viewer_client.get(f"/portal/{api_site.slug}/{path}").status_code == 403


def test_rotating_a_key_creates_one_shown_once_then_revokes_the_old(
    api, api_site, manager, manager_client
):
    old_prefix = ApiKey.objects.get(site=api_site.site).prefix

    created = manager_client.post(
        f"/portal/{api_site.slug}/api-keys/", {"name": "backend 2026", "note": "yearly rotation"}
    )

    page = created.content.decode()
    new = ApiKey.objects.get(site=api_site.site, name="backend 2026")
    raw = page.split('id="raw-key">')[1].split("<")[0]
    assert raw.startswith(new.prefix)
    fresh = ApiClient(raw)
    assert (
        fresh.get("/api/v2/origins/x/referral/trace", {"site_slug": api_site.slug}).status_code
        == 400
    )
    # the value is not kept anywhere the next page could show it
    assert raw not in manager_client.get(f"/portal/{api_site.slug}/api-keys/").content.decode()

    revoked = manager_client.post(
        f"/portal/{api_site.slug}/api-keys/{old_prefix}/revoke/", {"note": "replaced"}, follow=True
    )

    assert f"Key {old_prefix}… is revoked" in revoked.content.decode()
    assert ApiKey.objects.get(prefix=old_prefix).revoked_at is not None
    assert (
        api.get("/api/v2/origins/x/referral/trace", {"site_slug": api_site.slug}).status_code == 401
    )
    assert list(AuditEntry.objects.order_by("id").values_list("action", "note")) == [
        ("api_key.create", "yearly rotation"),
        ("api_key.revoke", "replaced"),
    ]


def test_an_agent_cannot_revoke_a_key(api_site, agent_client):
    prefix = ApiKey.objects.get(site=api_site.site).prefix

    assert (
        agent_client.post(f"/portal/{api_site.slug}/api-keys/{prefix}/revoke/").status_code == 403
    )
    assert ApiKey.objects.get(prefix=prefix).revoked_at is None


def test_coupon_codes_are_imported_into_a_pool(api_site, manager_client):
    build_program(api_site.site, pool_codes=("FRIEND-1",))
    upload = SimpleUploadedFile("codes.csv", b"code\nNEW-1\nNEW-2\nFRIEND-1\n", "text/csv")

    response = manager_client.post(
        f"/portal/{api_site.slug}/coupons/import/",
        {"coupon_list": "friend-pool", "file": upload, "note": "batch 7"},
        follow=True,
    )

    assert (
        "2 codes imported into friend-pool, 1 duplicates left alone." in response.content.decode()
    )
    assert set(Coupon.objects.values_list("code", flat=True)) == {"FRIEND-1", "NEW-1", "NEW-2"}
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.detail, entry.note) == (
        "coupons.import",
        "2 imported, 1 duplicates",
        "batch 7",
    )


def test_a_file_that_is_not_utf8_imports_nothing_and_says_why(api_site, manager_client):
    build_program(api_site.site, pool_codes=())
    upload = SimpleUploadedFile("codes.csv", b"\xff\xfe\x00bad", "text/csv")

    response = manager_client.post(
        f"/portal/{api_site.slug}/coupons/import/",
        {"coupon_list": "friend-pool", "file": upload},
    )

    assert response.status_code == 200
    assert "The file is not UTF-8 text" in response.content.decode()
    assert not Coupon.objects.exists()
    assert not AuditEntry.objects.exists()
