"""/portal/ URLs. Everything of a site lives under /portal/<site_slug>/."""

from __future__ import annotations

from django.urls import include, path

from goodword.portal.views import (
    account,
    audit,
    blocklist,
    dashboard,
    deliveries,
    manager,
    manual,
    people,
    queues,
    referrals,
    search,
)

app_name = "portal"

# One site's pages, each under /portal/<site_slug>/.
site_patterns = [
    path("", dashboard.dashboard, name="site_home"),
    path("search/", search.search, name="search"),
    path("people/<int:person_id>/", people.person, name="person"),
    path("people/<int:person_id>/unsubscribe/", people.unsubscribe, name="person_unsubscribe"),
    path("people/<int:person_id>/erase/", people.erase, name="person_erase"),
    path("referrals/new/", manual.manual_referral, name="manual_referral"),
    path("referrals/<int:referral_id>/", referrals.referral, name="referral"),
    path(
        "referrals/<int:referral_id>/<str:action>/",
        referrals.referral_action,
        name="referral_action",
    ),
    path("audit/", audit.audit_list, name="audit"),
    path("settings/", manager.program_settings, name="settings"),
    path("settings/config.yaml", manager.config_file, name="config_file"),
    path("api-keys/", manager.api_keys, name="api_keys"),
    path("api-keys/<str:prefix>/revoke/", manager.api_key_revoke, name="api_key_revoke"),
    path("coupons/import/", manager.coupon_import, name="coupon_import"),
    path("queues/", queues.queues, name="queues"),
    path("queues/<slug:queue_name>/", queues.queue, name="queue"),
    path("queues/<slug:queue_name>/act/", queues.queue_act, name="queue_act"),
    path("blocklist/", blocklist.blocklist, name="blocklist"),
    path("blocklist/check/", blocklist.blocklist_check, name="blocklist_check"),
    path("blocklist/add/", blocklist.blocklist_create, name="blocklist_add"),
    path("blocklist/<int:entry_id>/remove/", blocklist.blocklist_delete, name="blocklist_remove"),
    path("deliveries/", deliveries.deliveries, name="deliveries"),
    path(
        "deliveries/<int:delivery_id>/redeliver/", deliveries.redeliver, name="delivery_redeliver"
    ),
]

urlpatterns = [
    path("", account.home, name="home"),
    path("login/", account.LoginView.as_view(), name="login"),
    path("logout/", account.LogoutView.as_view(), name="logout"),
    path("password/", account.PasswordChangeView.as_view(), name="password_change"),
    path("password/done/", account.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("<slug:site_slug>/", include(site_patterns)),
]
