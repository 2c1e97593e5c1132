from django.contrib import admin
from django.urls import include, path

from goodword.api.v2.api import api
from goodword.core.health import healthz, readyz
from goodword.observability.views import metrics
from goodword.offers.views import short_link, unsubscribe

urlpatterns = [
    path("api/v2/", api.urls),
    path("healthz", healthz),
    path("readyz", readyz),
    path("metrics", metrics),
    path("admin/", admin.site.urls),
    path("x/<str:code>", short_link, name="short-link"),
    path("unsubscribe/<str:token>", unsubscribe, name="unsubscribe"),
    path("portal/", include("goodword.portal.urls")),
]
