from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from . import views

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api_schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api_schema"), name="api_docs"),
    path("auth/token/", views.obtain_token, name="api_token"),
    path("orgs/", views.OrgList.as_view(), name="api_orgs"),
    path("orgs/<str:code>/", views.OrgDetail.as_view(), name="api_org"),
    path("datasets/", views.DataSetList.as_view(), name="api_datasets"),
    path("datasets/<slug:code>/", views.DataSetDetail.as_view(), name="api_dataset"),
    path("campaigns/", views.CampaignList.as_view(), name="api_campaigns"),
    path("campaigns/<int:pk>/", views.CampaignDetail.as_view(), name="api_campaign"),
    path("submissions/", views.SubmissionList.as_view(), name="api_submissions"),
    path("submissions/<int:pk>/", views.submission_detail, name="api_submission"),
    path("submissions/<int:pk>/values/", views.submission_values, name="api_submission_values"),
    path("submissions/<int:pk>/actions/<slug:action>/", views.submission_action, name="api_submission_action"),
    path("indicators/", views.indicator_readings, name="api_indicators"),
    path("reports/", views.ReportList.as_view(), name="api_reports"),
    path("reports/<int:pk>/", views.ReportDetail.as_view(), name="api_report"),
    path("plans/", views.PlanList.as_view(), name="api_plans"),
    path("plans/<int:pk>/", views.PlanDetail.as_view(), name="api_plan"),
    path("evaluations/<slug:scheme>/", views.evaluation, name="api_evaluation"),
    re_path(r"^(?P<rest>.*)$", views.not_found),
]
