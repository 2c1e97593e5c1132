"""Liveness and readiness probes."""

from __future__ import annotations

from django.db import connection
from django.db.utils import OperationalError
from django.test import Client

from goodword.core import health


def test_healthz_is_ok_without_asking_the_database(db, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"ok": True}


def test_readyz_names_the_database_it_reached(db):
    response = Client().get("/readyz")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == {"ok": True, "database": connection.vendor}


def test_readyz_is_503_when_the_database_is_unreachable(db, monkeypatch):
    # given a database that refuses connections
    class Down:
        vendor = connection.vendor

        def cursor(self):
            raise OperationalError("connection refused")

    monkeypatch.setattr(health, "connection", Down())

    # when readiness is asked
    response = Client().get("/readyz")

    # then the probe fails in JSON, naming the error class but no details
    assert response.status_code == 503
    body = response.json()
    assert body["ok"] is False
    assert "OperationalError" in body["error_message"]
    assert "refused" not in body["error_message"]
