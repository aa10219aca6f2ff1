"""Site-wide routes (login, logout, language, admin) and one include per app, each under its own namespace
(``collection:``, ``review:``, ``indicators:``, ``statistics:``, ``plans:``, ``evaluation:``, ``portal:``,
``compiling:``, ``supervision:``, ``notifications:``, ``api:``); the home page is the user's inbox (我的待办)."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from dudao.accounts import ThrottledLoginView
from dudao.api import pages as api_pages
from dudao.inbox import views as inbox

urlpatterns = [
    path("", inbox.home, name="home"),
    path("accounts/login/", ThrottledLoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/token/", api_pages.token_page, name="api_token"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/", include("dudao.api.urls")),
    path("", include("dudao.collection.urls")),
    path("", include("dudao.review.urls")),
    path("dashboard/", include("dudao.indicators.urls")),
    path("statistics/", include("dudao.statistics.urls")),
    path("plans/", include("dudao.plans.urls")),
    path("evaluation/", include("dudao.evaluation.urls")),
    path("supervision/", include("dudao.supervision.urls")),
    path("", include("dudao.portal.urls")),
    path("compiling/", include("dudao.compiling.urls")),
    path("notifications/", include("dudao.notifications.urls")),
    path("surveys/", include("dudao.surveys.urls")),
    path("monitoring/", include("dudao.monitoring.urls")),
]

# a database busy beyond the request's wait answers 503 + Retry-After; any other failure the plain 500 page
handler500 = "dudao.busy.server_error"
