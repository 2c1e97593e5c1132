"""/portal/ URLs. Everything of a site lives under /portal/<site_slug>/."""

from __future__ import annotations

from django.urls import path

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

urlpatterns = [
    path("", account.home, name="home"),
    path("login/", account.LoginView.as_view(), name="login"),
    path("logout/", account.LogoutView.as_view(), name="logout"),
    path("password/", account.PasswordChangeView.as_view(), name="password_change"),
    path("password/done/", account.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("<slug:site_slug>/", dashboard.dashboard, name="site_home"),
    path("<slug:site_slug>/search/", search.search, name="search"),
    path("<slug:site_slug>/people/<int:person_id>/", people.person, name="person"),
    path(
        "<slug:site_slug>/people/<int:person_id>/unsubscribe/",
        people.unsubscribe,
        name="person_unsubscribe",
    ),
    path(
        "<slug:site_slug>/people/<int:person_id>/erase/",
        people.erase,
        name="person_erase",
    ),
    path("<slug:site_slug>/referrals/new/", manual.manual_referral, name="manual_referral"),
    path("<slug:site_slug>/referrals/<int:referral_id>/", referrals.referral, name="referral"),
    path(
        "<slug:site_slug>/referrals/<int:referral_id>/<str:action>/",
        referrals.referral_action,
        name="referral_action",
    ),
    path("<slug:site_slug>/audit/", audit.audit_list, name="audit"),
    path("<slug:site_slug>/settings/", manager.program_settings, name="settings"),
    path("<slug:site_slug>/settings/config.yaml", manager.config_file, name="config_file"),
    path("<slug:site_slug>/api-keys/", manager.api_keys, name="api_keys"),
    path(
        "<slug:site_slug>/api-keys/<str:prefix>/revoke/",
        manager.api_key_revoke,
        name="api_key_revoke",
    ),
    path("<slug:site_slug>/coupons/import/", manager.coupon_import, name="coupon_import"),
    path("<slug:site_slug>/queues/", queues.queues, name="queues"),
    path("<slug:site_slug>/queues/<slug:queue_name>/", queues.queue, name="queue"),
    path("<slug:site_slug>/queues/<slug:queue_name>/act/", queues.queue_act, name="queue_act"),
    path("<slug:site_slug>/blocklist/", blocklist.blocklist, name="blocklist"),
    path("<slug:site_slug>/blocklist/check/", blocklist.blocklist_check, name="blocklist_check"),
    path("<slug:site_slug>/blocklist/add/", blocklist.blocklist_create, name="blocklist_add"),
    path(
        "<slug:site_slug>/blocklist/<int:entry_id>/remove/",
        blocklist.blocklist_delete,
        name="blocklist_remove",
    ),
    path("<slug:site_slug>/deliveries/", deliveries.deliveries, name="deliveries"),
    path(
        "<slug:site_slug>/deliveries/<int:delivery_id>/redeliver/",
        deliveries.redeliver,
        name="delivery_redeliver",
    ),
]
