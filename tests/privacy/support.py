"""A person with data in every kind of table (built through the real API, the portal's services
and the worker), and a search of every column of every table for what identifies them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import connection

from goodword.people.models import Person
from goodword.portal.services import referral_act
from goodword.referrals.models import Referral
from goodword.rewards.models import Reward
from goodword.sites.models import Site
from goodword.worker.queue import enqueue
from tests.portal.support import make_staff, staff_of
from tests.referrals.program import build_program, buy, click, friend_clicks, join, referral_of
from tests.webhooks.support import Answer, Receiver, subscribe

SUBJECT = "zelda.quixote@example.org"
FIRST, LAST = "Zelda", "Quixote"
PHONE = "+12025550123"
IP = "203.0.113.77"
AGENT = "ZeldaPhone/9.9 (Quixote build)"
ADDRESS = "17 Windmill Lane, La Mancha"
OTHER_ADVOCATE = "sancho.panza@example.org"
ANOTHER_FRIEND = "dulcinea@example.net"
ALL_HOOKS = (
    "referral_web_hook",
    "reward_web_hook",
    "post_share_web_hook",
    "event_web_hook",
    "offer_signup_web_hook",
    "claim_signup_web_hook",
    "unsubscribe_web_hook",
)


@dataclass
class Built:
    person: Person
    referrals: int
    rewards: int


def build_rich_person(api: Any, site: Site, receiver: Receiver) -> Built:
    """The subject was referred as a friend (clicked, bought with their address, IP and phone),
    then became an advocate who shared and referred someone; both referrals approved (one by
    staff with a note naming them), rewards made, every webhook delivered (one response echoing
    them), then they unsubscribed; a batch refused a row of theirs, a job and the admin log
    name them."""
    build_program(site, pool_codes=("FRIEND-1", "FRIEND-2", "FRIEND-3", "FRIEND-4"))
    subscribe(site, receiver.url, *ALL_HOOKS)
    # as a friend
    other = join(api, site.slug, email=OTHER_ADVOCATE, first_name="Sancho")
    _, uuid = friend_clicks(other["offer"]["claim_url"], ip=IP, agent=AGENT)
    buy(
        api,
        site.slug,
        "ORDER-Z1",
        SUBJECT,
        uuid=uuid,
        first_name=FIRST,
        last_name=LAST,
        phone_number=PHONE,
        ip_address=IP,
        shipping_address=ADDRESS,
        shipping_zip="13600",
        customer_id="cust-zq-77",
    )
    first = referral_of("ORDER-Z1")
    assert first is not None
    agent = make_staff(site, "agent")
    if first.status in ("pending", "flagged"):
        referral_act(
            staff=staff_of(agent, site),
            referral_id=first.pk,
            action="approve",
            note=f"called {FIRST} {LAST} on {PHONE}, {SUBJECT} confirmed",
        )
    # as an advocate
    joined = join(
        api,
        site.slug,
        email=SUBJECT,
        first_name=FIRST,
        last_name=LAST,
        phone_number=PHONE,
        ip_address=IP,
        username="zeldaq",
    )
    code = joined["offer"]["short_url_code"]
    click(joined["offer"]["show_url"], ip=IP, agent=AGENT)
    shared = api.post(
        f"/api/v2/offers/{code}/shares/social", {"site_slug": site.slug, "channel": "facebook"}
    )
    assert shared.status_code in (200, 201), shared.content
    _, friend_uuid = friend_clicks(joined["offer"]["claim_url"], ip="192.0.2.9", agent="Other/1")
    buy(api, site.slug, "ORDER-D1", ANOTHER_FRIEND, uuid=friend_uuid)
    second = referral_of("ORDER-D1")
    assert second is not None
    api.put(
        "/api/v2/origins/ORDER-D1/referral",
        {"site_slug": site.slug, "data": {"status": "approved"}},
    )
    # the merchant's receiver echoes what it got
    receiver.answer(Answer(200, f"unsubscribed {SUBJECT} ({FIRST} {LAST}, {PHONE})"))
    response = api.put(
        f"/api/v2/people/{SUBJECT}",
        {
            "site_slug": site.slug,
            "data": {"unsubscribed": True, "custom_properties": {"pet": "Rocinante"}},
        },
    )
    assert response.status_code == 200, response.content
    # a batch row refused (its data kept with the reason)
    api.post(
        "/api/v2/origins/batch/purchases",
        {
            "site_slug": site.slug,
            "data": [
                {"email": SUBJECT, "order_number": "ORDER-BAD", "subtotal": -1, "ip_address": IP}
            ],
        },
    )
    # a job parked with their data in it, and an admin edit of them
    enqueue(site_id=site.pk, kind="parked_for_test", payload={"to": SUBJECT, "phone": PHONE})
    person = Person.objects.get(site=site, email=SUBJECT)
    LogEntry.objects.create(
        user=agent,
        content_type=ContentType.objects.get_for_model(Person),
        object_id=str(person.pk),
        object_repr=SUBJECT,
        action_flag=CHANGE,
        change_message=f"Changed last_name of {FIRST} {LAST}",
    )
    return Built(
        person=person,
        referrals=Referral.objects.filter(site=site).count(),
        rewards=Reward.objects.filter(site=site).count(),
    )


def find_everywhere(*needles: str) -> list[tuple[str, str, str]]:
    """(table, column, needle) for every column of every table whose text contains a needle
    (case-insensitive; JSON and addresses compared as text)."""
    found = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            columns = connection.introspection.get_table_description(cursor, table)
            for column in columns:
                name = connection.ops.quote_name(column.name)
                for needle in needles:
                    cursor.execute(
                        f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)} "
                        f"WHERE LOWER(CAST({name} AS TEXT)) LIKE %s",
                        [f"%{needle.lower()}%"],
                    )
                    if cursor.fetchone()[0]:
                        found.append((table, column.name, needle))
    return found
