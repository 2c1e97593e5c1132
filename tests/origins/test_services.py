"""goodword.origins.services.origin_create, below the API."""

from __future__ import annotations

from decimal import Decimal

import pytest

from goodword.api.v2.errors import http_status
from goodword.core.errors import DomainError
from goodword.origins.models import Origin
from goodword.origins.services import OriginData, PersonData, fingerprint, origin_create
from goodword.people.models import Person
from goodword.sites.auth import SiteRef
from tests.factories import SiteFactory


@pytest.fixture
def site_ref(db) -> SiteRef:
    site = SiteFactory(currency="CAD")
    return SiteRef(id=site.id, slug=site.slug, currency=site.currency)


def purchase(number: str, subtotal: str = "10.00", email: str = "a@example.com") -> OriginData:
    sent = {"email": email, "order_number": number, "subtotal": subtotal}
    return OriginData(
        type="Purchase",
        person=PersonData(email=email),
        sent=sent,
        order_number=number,
        subtotal=Decimal(subtotal),
    )


def test_a_new_origin_is_created_in_the_sites_currency(site_ref, frozen_now):
    result = origin_create(site=site_ref, data=purchase("1"))

    assert result.created is True
    origin = Origin.objects.get(pk=result.origin.pk)
    assert (origin.currency, origin.created_at, origin.occurred_at) == (
        "CAD",
        frozen_now,
        frozen_now,
    )
    assert origin.person == Person.objects.get(email="a@example.com")


def test_the_same_origin_again_is_returned_not_created(site_ref):
    first = origin_create(site=site_ref, data=purchase("1"))
    again = origin_create(site=site_ref, data=purchase("1"))

    assert again.created is False
    assert again.origin.pk == first.origin.pk
    assert Origin.objects.count() == 1


def test_other_data_under_the_same_identity_is_a_stable_domain_error(site_ref):
    origin_create(site=site_ref, data=purchase("1"))

    with pytest.raises(DomainError) as exc:
        origin_create(site=site_ref, data=purchase("1", subtotal="11.00", email="b@example.com"))

    assert exc.value.code == "duplicate_origin"
    assert http_status(exc.value) == 400
    assert Origin.objects.count() == 1
    assert not Person.objects.filter(email="b@example.com").exists()


def test_the_fingerprint_depends_on_values_not_on_key_order():
    assert fingerprint({"a": 1, "b": [1, 2]}) == fingerprint({"b": [1, 2], "a": 1})
    assert fingerprint({"a": 1}) != fingerprint({"a": 2})
    assert fingerprint({"a": [1, 2]}) != fingerprint({"a": [2, 1]})
