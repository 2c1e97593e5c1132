"""Portal forms. Every form posts with Django's CSRF token."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest

from goodword.core.http import client_ip
from goodword.portal import staff as staff_services

NOTE_MAX = 1000


class FailedLoginLimit:
    """The failed-login limit in front of a Django login form (the portal's and the admin's):
    a locked account name or address is refused before the password is checked, and each
    refused password is counted."""

    data: Any
    request: HttpRequest | None
    cleaned_data: dict[str, Any]
    # The portal's user names are emails, matched in any case; the admin takes what was typed.
    lowercase_username = True

    def clean(self) -> dict[str, Any]:
        typed = (self.data.get("username") or "").strip()
        username = typed.lower()
        ip = client_ip(self.request) if self.request is not None else None
        wait = staff_services.login_locked_for(username=username, ip_address=ip)
        if wait is not None:
            minutes = max(1, int(wait.total_seconds() + 59) // 60)
            raise forms.ValidationError(
                "Too many failed logins: this account is locked for "
                f"{minutes} more minute{'s' if minutes != 1 else ''}. "
                "Forgot the password? An operator can give you a new one "
                "(goodword staff add EMAIL --site SLUG --role ROLE --reset-password).",
                code="locked",
            )
        self.cleaned_data["username"] = username if self.lowercase_username else typed
        try:
            cleaned: dict[str, Any] = super().clean()  # type: ignore[misc]
        except forms.ValidationError:
            staff_services.login_failed(username=username, ip_address=ip)
            raise
        staff_services.login_succeeded(username=username)
        return cleaned


class LoginForm(FailedLoginLimit, AuthenticationForm):
    """Django's login form behind the failed-login limit."""

    error_messages = {
        "invalid_login": "Please enter a correct email and password (the password is "
        "case-sensitive).",
        "inactive": "This account is inactive.",
    }
    username = forms.CharField(
        label="Email", max_length=254, widget=forms.TextInput(attrs={"autofocus": True})
    )


class AdminLoginForm(FailedLoginLimit, AdminAuthenticationForm):
    """The admin's login form behind the same limit: its failures count towards the portal's
    lock of the same account name or address, and the other way round."""

    lowercase_username = False


class NoteForm(forms.Form):
    """The optional note of a staff action."""

    note = forms.CharField(required=False, max_length=NOTE_MAX, strip=True)


class SearchForm(forms.Form):
    q = forms.CharField(required=False, max_length=500, strip=True)


class ManualReferralForm(forms.Form):
    origin = forms.CharField(
        label="Friend's order number or event (category:number)", max_length=600, strip=True
    )
    advocate = forms.CharField(
        label="Advocate's email, or their offer code or claim link", max_length=600, strip=True
    )
    force = forms.BooleanField(
        required=False,
        label="Force: skip fraud screening (recorded as force_manually_generated)",
    )
    note = forms.CharField(required=False, max_length=NOTE_MAX, strip=True)


class ApiKeyForm(forms.Form):
    name = forms.CharField(required=False, max_length=100, strip=True, label="Label")
    note = forms.CharField(required=False, max_length=NOTE_MAX, strip=True)


class CouponImportForm(forms.Form):
    coupon_list = forms.ChoiceField(label="Coupon pool")
    file = forms.FileField(label="CSV file (a `code` column, or one code per line)")
    note = forms.CharField(required=False, max_length=NOTE_MAX, strip=True)
