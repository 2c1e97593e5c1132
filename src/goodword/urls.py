from django.contrib import admin
from django.urls import path

from goodword.api.v2.api import api
from goodword.core.health import healthz, readyz

urlpatterns = [
    path("api/v2/", api.urls),
    path("healthz", healthz),
    path("readyz", readyz),
    path("admin/", admin.site.urls),
]
