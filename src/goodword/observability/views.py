"""GET /metrics: Prometheus's text format, when GOODWORD_METRICS is on or a token is set."""

from __future__ import annotations

import hmac

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST


@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    if not settings.METRICS_ENABLED:
        return JsonResponse(
            {"ok": False, "error_message": "Metrics are off (GOODWORD_METRICS)."}, status=404
        )
    token = settings.METRICS_TOKEN
    if token:
        given = request.headers.get("Authorization", "")
        scheme, _, value = given.partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(value.strip(), token):
            response = JsonResponse(
                {"ok": False, "error_message": "A metrics token is required (Bearer)."},
                status=401,
            )
            response["WWW-Authenticate"] = 'Bearer realm="metrics"'
            return response
    from goodword.observability.metrics import exposition

    return HttpResponse(exposition(), content_type=CONTENT_TYPE_LATEST)
