"""Evaluation pages under ``/evaluation/`` (names ``evaluation:…``)."""

from django.urls import path

from . import views

app_name = "evaluation"

urlpatterns = [
    path("", views.index, name="index"),
    path("hei/weights/", views.hei_weights, name="hei_weights"),
    path("district_duty/scores/", views.duty_scores, name="duty_scores"),
    path("district_duty/findings/", views.duty_findings, name="duty_findings"),
    path("thematic/visits/", views.thematic_visit, name="visit"),
    path("preschool/checks/", views.preschool_check, name="preschool_check"),
    path("developmental/schools/<str:school>/", views.developmental_school, name="dev_school"),
    path("developmental/schools/<str:school>/self/", views.developmental_self, name="dev_self"),
    path("developmental/schools/<str:school>/review/", views.developmental_review, name="dev_review"),
    path("developmental/schools/<str:school>/report.<str:fmt>", views.developmental_report, name="dev_report"),
    path("developmental/evidence/<int:pk>/", views.developmental_evidence, name="dev_evidence"),
    path("developmental/summary.xlsx", views.developmental_export, name="dev_export"),
    path("<slug:code>/", views.scheme_page, name="scheme"),
    path("<slug:code>/report.<str:fmt>", views.report, name="report"),
]
