"""What every portal view shares: rendering with the staff context, and running an action."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from goodword.core.errors import DomainError, NotFound
from goodword.portal.forms import NoteForm


def posted_note(request: HttpRequest) -> str:
    """The optional note of a staff action; a note the form refuses (too long) is left out
    rather than failing the action."""
    form = NoteForm(request.POST)
    return str(form.cleaned_data["note"]) if form.is_valid() else ""


def page(
    request: HttpRequest, template: str, context: dict[str, Any] | None = None, status: int = 200
) -> HttpResponse:
    """Render a portal page; `staff` (set by `portal_view`) is in every page's context."""
    ctx = {"staff": getattr(request, "staff", None), **(context or {})}
    return render(request, template, ctx, status=status)


def act(request: HttpRequest, action: Callable[[], str]) -> bool:
    """Run a staff action. Its success message, or the rule that refused it, is shown on the
    next page (only the portal turns domain errors into messages). True when it succeeded.
    An object of the URL that the site does not have answers 404, as its page does."""
    try:
        done = action()
    except NotFound as exc:
        raise Http404(exc.message) from None
    except DomainError as exc:
        messages.error(request, exc.message)
        return False
    messages.success(request, done)
    return True
