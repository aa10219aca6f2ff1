"""督学 pages, included at /supervision/ (the school card is public)."""

from django.urls import path

from . import views

app_name = "supervision"

urlpatterns = [
    path("", views.index, name="index"),
    path("findings/new/", views.raise_finding, name="raise"),
    path("findings/<int:pk>/", views.finding, name="finding"),
    path("findings/<int:pk>/rectify/", views.rectify, name="rectify"),
    path("findings/<int:pk>/recheck/", views.recheck, name="recheck"),
    path("findings/<int:pk>/accountability/", views.accountability, name="accountability"),
    path("evidence/<int:pk>/", views.evidence, name="evidence"),
    path("board/", views.board, name="board"),
    path("board/publish/", views.publish, name="publish"),
    path("inspectors/", views.inspectors, name="inspectors"),
    path("inspectors/assign/", views.assign, name="assign"),
    path("school/<str:code>/", views.school, name="school"),
    path("visits/new/", views.visit_new, name="visit_new"),
    path("visits/sync/", views.visit_sync, name="visit_sync"),
    path("visits/<int:pk>/", views.visit, name="visit"),
    path("visits/photos/<int:pk>/", views.visit_photo, name="visit_photo"),
    path("plans/", views.plans, name="plans"),
    path("plans/set/", views.plan_set, name="plan_set"),
    path("sampling/", views.sampling, name="sampling"),
    path("sampling/draw/", views.sampling_draw, name="sampling_draw"),
    path("sw.js", views.service_worker, name="sw"),
]
