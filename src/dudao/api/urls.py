from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from . import views

app_name = "api"

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # the split view serves Swagger UI's start-up code as a script file (docs/?script=): the CSP forbids inline script
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
    path("auth/token/", views.obtain_token, name="token"),
    path("auth/token/rotate/", views.rotate_token, name="token_rotate"),
    path("orgs/", views.OrgList.as_view(), name="orgs"),
    path("orgs/<str:code>/", views.OrgDetail.as_view(), name="org"),
    path("datasets/", views.DataSetList.as_view(), name="datasets"),
    path("datasets/<slug:code>/", views.DataSetDetail.as_view(), name="dataset"),
    path("campaigns/", views.CampaignList.as_view(), name="campaigns"),
    path("campaigns/<int:pk>/", views.CampaignDetail.as_view(), name="campaign"),
    path("submissions/", views.SubmissionList.as_view(), name="submissions"),
    path("submissions/<int:pk>/", views.submission_detail, name="submission"),
    path("submissions/<int:pk>/values/", views.submission_values, name="submission_values"),
    path("submissions/<int:pk>/actions/<slug:action>/", views.submission_action, name="submission_action"),
    path("indicators/", views.indicator_readings, name="indicators"),
    path("reports/", views.ReportList.as_view(), name="reports"),
    path("reports/<int:pk>/", views.ReportDetail.as_view(), name="report"),
    path("plans/", views.PlanList.as_view(), name="plans"),
    path("plans/<int:pk>/", views.PlanDetail.as_view(), name="plan"),
    path("evaluations/<slug:scheme>/", views.evaluation, name="evaluation"),
    re_path(r"^(?P<rest>.*)$", views.not_found),
]
