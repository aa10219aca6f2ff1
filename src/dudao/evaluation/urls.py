"""Evaluation pages under ``/evaluation/`` (names ``evaluation:…``)."""

from django.urls import path

from . import views

app_name = "evaluation"

urlpatterns = [
    path("", views.index, name="index"),
    path("hei/weights/", views.hei_weights, name="hei_weights"),
    path("district_duty/scores/", views.duty_scores, name="duty_scores"),
    path("district_duty/findings/", views.duty_findings, name="duty_findings"),
    path("provincial_duty/departments/<str:dept>/", views.duty_department, name="duty_department"),
    path("provincial_duty/departments/<str:dept>/part/", views.duty_part, name="duty_part"),
    path("provincial_duty/departments/<str:dept>/review/", views.duty_review, name="duty_review"),
    path("provincial_duty/departments/<str:dept>/scores/", views.duty_dept_scores, name="duty_dept_scores"),
    path("provincial_duty/departments/<str:dept>/findings/", views.duty_dept_findings, name="duty_dept_findings"),
    path("provincial_duty/materials/<int:pk>/", views.duty_material, name="duty_material"),
    path("thematic/visits/", views.thematic_visit, name="visit"),
    path("preschool/checks/", views.preschool_check, name="preschool_check"),
    path("developmental/schools/<str:school>/", views.developmental_school, name="dev_school"),
    path("developmental/schools/<str:school>/self/", views.developmental_self, name="dev_self"),
    path("developmental/schools/<str:school>/review/", views.developmental_review, name="dev_review"),
    path("developmental/schools/<str:school>/report.<str:fmt>", views.developmental_report, name="dev_report"),
    path("developmental/evidence/<int:pk>/", views.developmental_evidence, name="dev_evidence"),
    path("developmental/summary.xlsx", views.developmental_export, name="dev_export"),
    path("<slug:code>/self-evaluation/", views.self_evaluation, name="self_evaluation"),
    path("<slug:code>/self-evaluation/return/", views.self_evaluation_return, name="self_evaluation_return"),
    path("<slug:code>/", views.scheme_page, name="scheme"),
    path("<slug:code>/report.<str:fmt>", views.report, name="report"),
]
