"""Logging in and out, changing one's password, and the list of one's sites."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse_lazy

from goodword.portal.access import portal_view, staff_sites
from goodword.portal.forms import LoginForm
from goodword.portal.views.base import page


class LoginView(auth_views.LoginView):
    template_name = "portal/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    next_page = "portal:login"


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "portal/password_change.html"
    success_url = reverse_lazy("portal:password_change_done")


class PasswordChangeDoneView(auth_views.PasswordChangeDoneView):
    template_name = "portal/password_change_done.html"


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The user's sites; straight to the site when there is only one."""
    memberships = staff_sites(request.user)  # type: ignore[arg-type]
    if len(memberships) == 1:
        return redirect("portal:site_home", memberships[0].site.slug)
    return page(request, "portal/sites.html", {"memberships": memberships})


@portal_view()
def site_home(request: HttpRequest, site_slug: str) -> HttpResponse:
    """A site's first page: the search box with what it finds."""
    return page(request, "portal/search.html", {"q": "", "result": None})
