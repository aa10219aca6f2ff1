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
    path("<slug:code>/", views.scheme_page, name="scheme"),
    path("<slug:code>/report.<str:fmt>", views.report, name="report"),
]
