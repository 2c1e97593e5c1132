"""A URLconf with a plain Django view under /api/ that crashes, for the envelope middleware."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from goodword.urls import urlpatterns as real_urlpatterns


def crash(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("secret detail that must not reach the client")


def html_error(request: HttpRequest) -> HttpResponse:
    return HttpResponse("<h1>teapot</h1>", status=418, content_type="text/html")


urlpatterns = [
    path("api/crash", crash),
    path("api/teapot", html_error),
    path("teapot", html_error),
    *real_urlpatterns,
]
