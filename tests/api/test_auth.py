"""Who may call the API: the key (Bearer or Basic) and the site it belongs to."""

from __future__ import annotations

import base64

import pytest
from django.apps import apps
from django.test import Client

from goodword.origins.models import Origin
from goodword.sites.models import ApiKey
from goodword.sites.services import api_key_revoke, hash_key
from tests.conftest import ApiClient
from tests.factories import PurchaseDataFactory, SiteFactory, make_key
from tests.helpers import PURCHASE_URL, assert_created, assert_error, stored_counts


def purchase(site_slug: str | None, **data) -> dict:
    body: dict = {"data": dict(PurchaseDataFactory(**data))}
    if site_slug is not None:
        body["site_slug"] = site_slug
    return body


def test_bearer_key_is_accepted(api_site):
    # given a client that sends the site's key as a Bearer token
    client = ApiClient(api_site.key)

    # when it creates a purchase
    response = client.post(PURCHASE_URL, purchase(api_site.slug))

    # then the purchase is stored on the key's site
    result = assert_created(response)
    assert Origin.objects.get(pk=result["origin"]["id"]).site_id == api_site.site.id


def test_basic_auth_with_key_as_user_name_and_empty_password_is_accepted(api_site):
    # given a client that sends `curl -u KEY:`
    client = ApiClient(api_site.key, basic=True)

    # when it creates a purchase
    response = client.post(PURCHASE_URL, purchase(api_site.slug))

    # then it is accepted
    assert_created(response)
    assert Origin.objects.filter(site=api_site.site).count() == 1


@pytest.mark.parametrize(
    "authorization",
    [
        pytest.param(None, id="no-header"),
        pytest.param("", id="empty-header"),
        pytest.param("Bearer ", id="empty-bearer"),
        pytest.param("Token abc", id="unknown-scheme"),
        pytest.param("Basic %%%not-base64%%%", id="basic-not-base64"),
        pytest.param("Basic " + base64.b64encode(b":").decode(), id="basic-empty-user"),
    ],
)
def test_missing_or_unusable_credentials_are_401(api_site, authorization):
    # given a request without a usable key
    headers = {} if authorization is None else {"Authorization": authorization}

    # when it creates a purchase
    response = Client().post(
        PURCHASE_URL, purchase(api_site.slug), content_type="application/json", headers=headers
    )

    # then it is refused in the envelope and nothing is stored
    assert_error(response, 401)
    assert stored_counts() == (0, 0)


@pytest.mark.parametrize("basic", [False, True], ids=["bearer", "basic"])
def test_wrong_key_is_401(api_site, basic):
    # given a key that was never issued
    client = ApiClient("x" * 40, basic=basic)

    # when it creates a purchase
    response = client.post(PURCHASE_URL, purchase(api_site.slug))

    # then it is refused
    assert_error(response, 401, "Invalid API key.")
    assert stored_counts() == (0, 0)


def test_revoked_key_is_refused_at_once(api_site, api):
    # given a key that has just been used (and so is cached as valid)
    assert_created(api.post(PURCHASE_URL, purchase(api_site.slug)))
    prefix = api_site.key[:8]

    # when it is revoked
    api_key_revoke(site=api_site.site, prefix=prefix)

    # then its very next request is refused
    response = api.post(PURCHASE_URL, purchase(api_site.slug))
    assert_error(response, 401)
    assert Origin.objects.count() == 1


def test_other_keys_of_the_site_survive_a_revocation(api_site, api):
    # given a second key on the same site
    other = make_key(api_site.site, name="other").raw_key

    # when the first key is revoked
    api_key_revoke(site=api_site.site, prefix=api_site.key[:8])

    # then the second still works and the first does not
    assert_created(ApiClient(other).post(PURCHASE_URL, purchase(api_site.slug)))
    assert_error(api.post(PURCHASE_URL, purchase(api_site.slug)), 401)


def test_key_of_one_site_cannot_write_to_another_site(api_site, api):
    # given another existing site
    other = SiteFactory()

    # when site A's key posts with site B's slug
    response = api.post(PURCHASE_URL, purchase(other.slug))

    # then it is unauthorized and nothing is stored anywhere
    assert_error(response, 401)
    assert stored_counts() == (0, 0)


def test_key_of_one_site_cannot_use_another_sites_slug_in_the_query(api_site, api):
    # given another existing site named only in the query string
    other = SiteFactory()

    # when site A's key posts there
    response = api.post(f"{PURCHASE_URL}?site_slug={other.slug}", purchase(None))

    # then it is unauthorized and nothing is stored
    assert_error(response, 401)
    assert stored_counts() == (0, 0)


def test_unknown_site_slug_is_answered_as_another_sites_slug(api):
    # given another existing site
    other = SiteFactory()

    # when a valid key names a site that does not exist, and then that other site
    unknown = api.post(PURCHASE_URL, purchase("no-such-site"))
    foreign = api.post(PURCHASE_URL, purchase(other.slug))

    # then both answers are the same refusal: the key learns nothing about which sites exist
    assert_error(unknown, 401, "The API key does not belong to this site.")
    assert (foreign.status_code, foreign.json()) == (unknown.status_code, unknown.json())
    assert stored_counts() == (0, 0)


@pytest.mark.parametrize("slug", [None, ""], ids=["absent", "empty"])
def test_missing_site_slug_is_400(api, slug):
    # when the body has no site_slug (and the query has none either)
    body = purchase(None)
    if slug is not None:
        body["site_slug"] = slug
    response = api.post(PURCHASE_URL, body)

    # then the caller is told to send one
    message = assert_error(response, 400)
    assert "site_slug" in message
    assert stored_counts() == (0, 0)


def test_site_slug_in_the_query_string_is_accepted_for_post(api_site, api):
    # when the slug comes in the query string only
    response = api.post(f"{PURCHASE_URL}?site_slug={api_site.slug}", purchase(None))

    # then the purchase is stored on that site
    result = assert_created(response)
    assert Origin.objects.get(pk=result["origin"]["id"]).site_id == api_site.site.id


def test_the_database_never_holds_a_raw_key(api_site, api):
    # given keys that have been issued and used
    second = make_key(api_site.site).raw_key
    assert_created(api.post(PURCHASE_URL, purchase(api_site.slug)))
    raw_keys = [api_site.key, second]

    # then every key row holds the SHA-256 of its key...
    hashes = set(ApiKey.objects.values_list("key_hash", flat=True))
    assert hashes == {hash_key(k) for k in raw_keys}

    # ...and no column of any row of any table holds a raw key
    for model in apps.get_models():
        for row in model.objects.values_list():
            for value in row:
                for raw in raw_keys:
                    assert raw not in str(value), f"raw key found in {model.__name__}"
