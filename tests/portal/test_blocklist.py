"""The blocklist pages and services: the preview before saving, add and remove with who and
when, the same storage as the configuration file, screening that follows at once, and the
permissions."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
import yaml
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from goodword.campaigns.program import program_for
from goodword.cli import main
from goodword.config.services import config_apply
from goodword.core.errors import DomainError, NotFound, ValidationFailed
from goodword.portal.access import Forbidden
from goodword.portal.blocklist import (
    blocklist_add,
    blocklist_preview,
    blocklist_remove,
)
from goodword.portal.models import AuditEntry
from goodword.sites.models import BlocklistEntry
from tests.portal import queue_support as qs
from tests.portal.support import ADVOCATE, client_for, flagged_referral, staff_of
from tests.referrals.program import buy, friend_clicks, join, referral_of

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False):
        yield


def page_url(site, name="blocklist", *args):
    return reverse(f"portal:{name}", args=[site.slug, *args])


# ---- preview ---------------------------------------------------------------------------------


def test_an_email_pattern_preview_counts_people_and_waiting_referrals(api_site):
    # given people at spam.example, one of them the friend of a flagged referral and one of
    # a referral already voided, and people elsewhere
    site = api_site.site
    qs.person(site, "a@spam.example")
    qs.referrals(site, 1, "flagged", friend_email="b@spam.example")
    qs.referrals(site, 1, "voided", friend_email="c@spam.example")
    qs.person(site, "a@spam.example.com")  # another domain that only starts the same
    qs.person(site, "d@ham.example")

    preview = blocklist_preview(site_id=site.pk, value="  *@SPAM.example ")

    # then the entry is shown normalised, with what it reaches
    assert preview.value == "*@spam.example"
    assert preview.kind == "email pattern"
    assert preview.people == 3
    assert preview.waiting_referrals == 1
    assert sorted(p.email for p in preview.sample) == [
        "a@spam.example",
        "b@spam.example",
        "c@spam.example",
    ]
    assert preview.exists is False


def test_a_pattern_with_regex_characters_matches_them_literally(api_site):
    site = api_site.site
    qs.person(site, "john.doe+x@shop.example")
    qs.person(site, "johnXdoe+x@shop.example")

    preview = blocklist_preview(site_id=site.pk, value="john.doe+*@shop.example")

    assert preview.people == 1
    assert [p.email for p in preview.sample] == ["john.doe+x@shop.example"]


def test_an_ip_range_preview_counts_the_people_whose_origins_came_from_it(api_site):
    # given a flagged referral whose friend bought from 198.51.100.7, another from elsewhere
    site = api_site.site
    qs.referrals(site, 1, "flagged", ip="198.51.100.7")
    qs.referrals(site, 1, "pending", ip="203.0.113.9")

    inside = blocklist_preview(site_id=site.pk, value="198.51.100.0/24")
    single = blocklist_preview(site_id=site.pk, value="203.0.113.9")
    outside = blocklist_preview(site_id=site.pk, value="192.0.2.0/24")

    assert (inside.kind, inside.people, inside.waiting_referrals) == ("IP range", 1, 1)
    assert (single.kind, single.people, single.waiting_referrals) == ("IP address", 1, 1)
    assert (outside.people, outside.waiting_referrals) == (0, 0)


def test_an_ipv6_range_preview_matches_ipv6_origins(api_site):
    site = api_site.site
    qs.referrals(site, 1, "pending", ip="2001:db8::7")
    qs.referrals(site, 1, "pending", ip="198.51.100.7")

    preview = blocklist_preview(site_id=site.pk, value="2001:db8::/32")

    assert (preview.kind, preview.people, preview.waiting_referrals) == ("IP range", 1, 1)


def test_a_preview_of_something_that_is_no_entry_says_why(api_site):
    with pytest.raises(ValidationFailed, match="is not an email pattern, IP address or CIDR"):
        blocklist_preview(site_id=api_site.site.pk, value="not an entry")
    with pytest.raises(ValidationFailed, match="would block every email address"):
        blocklist_preview(site_id=api_site.site.pk, value="*@*")


def test_the_preview_page_shows_the_counts_and_the_button_that_adds(api_site, agent_client):
    site = api_site.site
    qs.referrals(site, 1, "flagged", friend_email="b@spam.example")

    response = agent_client.get(page_url(site, "blocklist_check"), {"value": "*@spam.example"})

    assert response.status_code == 200
    body = response.content.decode()
    assert '<strong id="preview-people">1</strong>' in body
    assert '<strong id="preview-referrals">1</strong>' in body
    assert "Add *@spam.example to the blocklist" in body
    assert BlocklistEntry.objects.count() == 0  # a preview saves nothing


def test_the_preview_page_refuses_a_bad_entry_with_its_reason(api_site, agent_client):
    response = agent_client.get(page_url(api_site.site, "blocklist_check"), {"value": "10.0.0.0/0"})

    assert response.status_code == 422
    assert "would block every IP address" in response.content.decode()


# ---- add and remove --------------------------------------------------------------------------


def test_adding_keeps_who_and_when_audits_and_shows_in_config_export(api_site, agent, capsys):
    site = api_site.site

    entry = blocklist_add(staff=staff_of(agent, site), value="*@Spam.example", note="chargebacks")

    assert (entry.value, entry.note, entry.added_by, entry.added_at) == (
        "*@spam.example",
        "chargebacks",
        agent.email,
        NOW,
    )
    audit = AuditEntry.objects.get(action="blocklist.add")
    assert (audit.object_type, audit.object_id, audit.object_label, audit.note) == (
        "blocklist",
        entry.pk,
        "*@spam.example",
        "chargebacks",
    )
    # the configuration file's blocklist is the same storage
    assert main(["config", "export", site.slug]) == 0
    exported = yaml.safe_load(capsys.readouterr().out)
    assert exported["blocklist"] == [{"value": "*@spam.example", "note": "chargebacks"}]


def test_an_added_entry_blocks_the_next_referral_at_once(
    api, api_site, agent, django_capture_on_commit_callbacks
):
    # given a program whose snapshot this process holds
    site = api_site.site
    flagged_referral(api, site, "BEFORE-1")
    assert program_for(site.pk).blocklist.entries == ()

    # when the friend's mailbox is blocklisted in the portal
    with django_capture_on_commit_callbacks(execute=True):
        blocklist_add(staff=staff_of(agent, site), value="johndoe+*@gmail.com")

    # then screening sees it at once: the next purchase of such a friend is blocked
    assert program_for(site.pk).blocklist.entries == ("johndoe+*@gmail.com",)
    joined = join(api, site.slug, email=ADVOCATE)
    _, uuid = friend_clicks(joined["offer"]["claim_url"])
    buy(api, site.slug, "AFTER-1", "johndoe+y@gmail.com", uuid=uuid)
    after = referral_of("AFTER-1")
    assert after is not None
    assert after.status == "blocked"
    assert after.fraud_details is not None
    assert "johndoe+*@gmail.com" in after.fraud_details


def test_an_entry_already_listed_is_refused(api_site, agent):
    staff = staff_of(agent, api_site.site)
    blocklist_add(staff=staff, value="203.0.113.7")

    with pytest.raises(DomainError, match=r"203\.0\.113\.7 is already on the blocklist"):
        blocklist_add(staff=staff, value=" 203.0.113.7 ")
    assert BlocklistEntry.objects.count() == 1
    assert AuditEntry.objects.filter(action="blocklist.add").count() == 1


def test_removing_audits_and_config_apply_sees_the_same_entries(api_site, agent):
    site = api_site.site
    staff = staff_of(agent, site)
    kept = blocklist_add(staff=staff, value="198.51.100.0/24")
    gone = blocklist_add(staff=staff, value="*@spam.example")

    removed = blocklist_remove(staff=staff, entry_id=gone.pk, note="false alarm")

    assert removed.value == "*@spam.example"
    assert list(BlocklistEntry.objects.values_list("value", flat=True)) == [kept.value]
    audit = AuditEntry.objects.get(action="blocklist.remove")
    assert (audit.object_id, audit.note) == (gone.pk, "false alarm")
    # the file that lists the kept entry applies as no change to it
    from goodword.config.selectors import config_export

    document = config_export(site=site)
    report = config_apply(document=document)
    assert ("blocklist", kept.value, "unchanged") in [
        (c.kind, c.key, c.action) for c in report.changes
    ]
    assert BlocklistEntry.objects.get().added_by == agent.email


def test_removing_another_sites_entry_is_404(api_site, other_site, agent, agent_client):
    theirs = BlocklistEntry.objects.create(site=other_site, value="192.0.2.1")

    with pytest.raises(NotFound):
        blocklist_remove(staff=staff_of(agent, api_site.site), entry_id=theirs.pk)
    response = agent_client.post(page_url(api_site.site, "blocklist_remove", theirs.pk))

    assert response.status_code == 404
    assert BlocklistEntry.objects.filter(pk=theirs.pk).exists()


def test_the_pages_add_and_remove_with_messages(api_site, agent_client):
    site = api_site.site

    added = agent_client.post(
        page_url(site, "blocklist_add"), {"value": "*@spam.example", "note": "n"}, follow=True
    )
    entry = BlocklistEntry.objects.get()
    again = agent_client.post(
        page_url(site, "blocklist_add"), {"value": "*@spam.example"}, follow=True
    )
    removed = agent_client.post(page_url(site, "blocklist_remove", entry.pk), follow=True)

    assert "*@spam.example is on the blocklist" in added.content.decode()
    assert "already on the blocklist" in again.content.decode()
    assert "*@spam.example is off the blocklist" in removed.content.decode()
    assert not BlocklistEntry.objects.exists()


def test_the_list_shows_who_added_each_entry(api_site, agent, agent_client):
    site = api_site.site
    blocklist_add(staff=staff_of(agent, site), value="203.0.113.7")
    BlocklistEntry.objects.create(site=site, value="*@from-file.example")

    body = agent_client.get(page_url(site)).content.decode()

    assert agent.email in body
    assert "configuration file" in body
    assert "2026-03-02 12:00" in body


# ---- permissions -----------------------------------------------------------------------------


def test_a_viewer_reads_the_list_but_cannot_preview_add_or_remove(api_site, agent, viewer):
    site = api_site.site
    entry = blocklist_add(staff=staff_of(agent, site), value="203.0.113.7")
    client = client_for(viewer)

    body = client.get(page_url(site)).content.decode()
    assert "203.0.113.7" in body
    assert "Preview" not in body and "remove" not in body
    assert client.get(page_url(site, "blocklist_check"), {"value": "1.2.3.4"}).status_code == 403
    assert client.post(page_url(site, "blocklist_add"), {"value": "1.2.3.4"}).status_code == 403
    assert client.post(page_url(site, "blocklist_remove", entry.pk)).status_code == 403
    with pytest.raises(Forbidden):
        blocklist_add(staff=staff_of(viewer, site), value="1.2.3.4")
    with pytest.raises(Forbidden):
        blocklist_remove(staff=staff_of(viewer, site), entry_id=entry.pk)
    assert list(BlocklistEntry.objects.values_list("value", flat=True)) == ["203.0.113.7"]


def test_another_sites_blocklist_is_404(other_site, agent_client):
    assert agent_client.get(page_url(other_site)).status_code == 404
    assert (
        agent_client.post(page_url(other_site, "blocklist_add"), {"value": "1.2.3.4"}).status_code
        == 404
    )


def test_adding_without_the_csrf_token_is_refused(api_site, agent):
    response = client_for(agent, csrf=True).post(
        page_url(api_site.site, "blocklist_add"), {"value": "1.2.3.4"}
    )

    assert response.status_code == 403
    assert not BlocklistEntry.objects.exists()


def test_the_list_renders_with_the_same_number_of_queries_for_3_and_30_entries(
    api_site, agent_client
):
    site = api_site.site

    def make(n: int, start: int) -> None:
        for i in range(start, start + n):
            BlocklistEntry.objects.create(site=site, value=f"198.51.100.{i}")

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert agent_client.get(page_url(site)).status_code == 200
        return len(ctx.captured_queries)

    make(3, 1)
    queries()
    few = queries()
    make(27, 10)
    assert queries() == few
