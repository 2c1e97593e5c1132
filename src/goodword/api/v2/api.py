"""The /api/v2 NinjaAPI: Talkable-compatible routes, envelope, errors."""

from __future__ import annotations

from django.conf import settings
from ninja import NinjaAPI

from goodword.api.v2 import (
    campaigns,
    errors,
    metrics,
    offers,
    openapi,
    origin_batches,
    origins,
    people,
    referrals,
    rewards,
    shares,
    trace,
)
from goodword.api.v2.auth import ApiKeyAuth
from goodword.api.v2.parser import TalkableParser

api = NinjaAPI(
    title="Goodword API (Talkable API v2 compatible)",
    version="2.0",
    urls_namespace="api-v2",
    docs_url="/docs",
    openapi_url="/openapi.json",
    auth=ApiKeyAuth(),
    parser=TalkableParser(),
)
errors.install(api)
api.get_openapi_schema = openapi.install(api.get_openapi_schema)  # type: ignore[method-assign]
api.add_router("", origins.router)
api.add_router("", origin_batches.router)
api.add_router("", referrals.router)
api.add_router("", offers.router)
api.add_router("", people.router)
api.add_router("", rewards.router)
api.add_router("", trace.router)
api.add_router("", campaigns.router)
api.add_router("", shares.router)
api.add_router("", metrics.router)

if settings.BENCH_FLOOR_ENDPOINT:
    from goodword.api.floor.views import router as floor_router

    api.add_router("", floor_router)
