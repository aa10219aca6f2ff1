from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from dudao.accounts import ThrottledLoginView
from dudao.collection import views as collection
from dudao.indicators import views as indicators
from dudao.plans import views as plans
from dudao.portal import views as portal
from dudao.review import views as review

urlpatterns = [
    path("", collection.home, name="home"),
    path("accounts/login/", ThrottledLoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/", include("dudao.api.urls")),
    path("submissions/<int:pk>/", collection.submission_detail, name="submission"),
    path("submissions/<int:pk>/values/<slug:code>/", collection.save_value, name="save_value"),
    path("submissions/<int:pk>/findings/", collection.findings, name="findings"),
    path("submissions/<int:pk>/explain/", collection.explain, name="explain"),
    path("submissions/<int:pk>/template.xlsx", collection.school_template, name="school_template"),
    path("submissions/<int:pk>/upload/", collection.school_upload, name="school_upload"),
    path("submissions/<int:pk>/actions/<slug:action>/", review.act, name="act"),
    path("dashboard/", indicators.cockpit, name="cockpit"),
    path("dashboard/data.json", indicators.cockpit_data, name="cockpit_data"),
    path("plans/", plans.plan_list, name="plans"),
    path("plans/import/", plans.plan_import, name="plan_import"),
    path("plans/compare/", plans.compare, name="plans_compare"),
    path("plans/<int:pk>/", plans.plan_detail, name="plan"),
    path("plans/<int:pk>/board/", plans.plan_board, name="plan_board"),
    path("plans/<int:pk>/summary.<str:fmt>", plans.plan_summary, name="plan_summary"),
    path("plans/tasks/<int:pk>/", plans.task_detail, name="task"),
    path("plans/tasks/<int:pk>/assign/", plans.task_assign, name="task_assign"),
    path("plans/assignments/<int:pk>/report/", plans.task_report, name="task_report"),
    path("plans/assignments/<int:pk>/remind/", plans.task_remind, name="task_remind"),
    path("plans/reminders/<int:pk>/answer/", plans.reminder_answer, name="reminder_answer"),
    path("evaluation/", include("dudao.evaluation.urls")),
    path("portal/", portal.index, name="portal"),
    path("portal/districts/<str:code>/", portal.district, name="portal_district"),
    path("portal/reports/<int:pk>/", portal.report_html, name="portal_report"),
    path("portal/reports/<int:pk>/pdf/", portal.report_pdf, name="portal_pdf"),
    path("publications/", portal.desk, name="desk"),
    path("publications/request/", portal.desk_request, name="desk_request"),
    path("publications/<int:pk>/<slug:decision>/", portal.desk_review, name="desk_review"),
    path("publications/batches/", portal.batch_start, name="batch_start"),
    path("publications/batches/<int:pk>/", portal.batch, name="batch"),
    path("publications/batches/<int:pk>/retry/", portal.batch_retry, name="batch_retry"),
    path("campaigns/<int:pk>/coverage/", review.coverage_view, name="coverage"),
    path(
        "campaigns/<int:pk>/district/<str:org_code>/template.xlsx",
        collection.district_template,
        name="district_template",
    ),
    path("campaigns/<int:pk>/district/<str:org_code>/upload/", collection.district_upload, name="district_upload"),
]
