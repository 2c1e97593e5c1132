"""Who may see and do what in the portal.

A staff user belongs to sites with a role (viewer < agent < manager). Every portal URL below
/portal/<site_slug>/ goes through `portal_view`, which answers 404 for a site the user does not
belong to (the same answer as for a site that does not exist, so a URL tells nothing about other
merchants) and 403 when the role is too low. Services check the role again (`require_role`):
the view's check keeps the page honest, the service's keeps every caller honest.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar

from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse

from goodword.core.errors import DomainError
from goodword.portal.models import ROLE_RANK, Role, StaffMembership
from goodword.sites.auth import SiteRef
from goodword.sites.models import Site


@dataclass(frozen=True)
class Staff:
    """A signed-in staff user acting on one site."""

    user: Any  # the auth user (AbstractBaseUser with an email)
    site: Site
    role: str

    @property
    def email(self) -> str:
        return str(getattr(self.user, "email", "") or self.user.get_username())

    @property
    def site_ref(self) -> SiteRef:
        return SiteRef(
            id=self.site.pk,
            slug=self.site.slug,
            currency=self.site.currency,
            time_zone=self.site.time_zone,
        )

    def can(self, role: str) -> bool:
        return ROLE_RANK[self.role] >= ROLE_RANK[role]

    @property
    def can_act(self) -> bool:
        return self.can(Role.AGENT)

    @property
    def is_manager(self) -> bool:
        return self.can(Role.MANAGER)


class Forbidden(DomainError):
    """The staff user's role does not allow the action (views check first and answer 403; the
    service checks again, so a call from anywhere else is refused too)."""


def require_role(staff: Staff, role: str) -> None:
    """Raise Forbidden unless the staff user's role on the site reaches `role`."""
    if not staff.can(role):
        raise Forbidden(
            "forbidden", f"Your role on {staff.site.slug} is {staff.role}: this needs {role}"
        )


def staff_for(user: AbstractBaseUser, site_slug: str) -> Staff:
    """The user's role on the site; Http404 when they do not belong to it (or it does not
    exist). One query."""
    if not user.is_authenticated or not user.is_active:
        raise Http404("No such site")
    membership = (
        StaffMembership.objects.select_related("site")
        .filter(user_id=user.pk, site__slug=site_slug)
        .first()
    )
    if membership is None:
        raise Http404("No such site")
    return Staff(user=user, site=membership.site, role=membership.role)


def staff_sites(user: AbstractBaseUser) -> list[StaffMembership]:
    """The user's memberships with their sites, by site slug."""
    return list(
        StaffMembership.objects.select_related("site")
        .filter(user_id=user.pk)
        .order_by("site__slug")
    )


View = TypeVar("View", bound=Callable[..., HttpResponse])


def portal_view(role: str = Role.VIEWER) -> Callable[[View], View]:
    """Decorate a view taking `site_slug`: login required, the membership checked (404 for a
    foreign site, 403 below `role`), and `request.staff` set to the `Staff`."""

    def decorate(view: View) -> View:
        @login_required
        @wraps(view)
        def wrapper(request: HttpRequest, site_slug: str, *args: Any, **kwargs: Any) -> Any:
            staff = staff_for(request.user, site_slug)  # type: ignore[arg-type]
            if not staff.can(role):
                raise PermissionDenied(f"this page needs the {role} role")
            request.staff = staff  # type: ignore[attr-defined]
            return view(request, site_slug, *args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate
