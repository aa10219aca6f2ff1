"""The compiling workspace (报告编撰工作台), included at /compiling/."""

from django.urls import path

from . import views

app_name = "compiling"

urlpatterns = [
    path("", views.index, name="index"),
    path("preview/", views.preview, name="preview"),
    path("work/<int:plan_pk>/", views.work, name="work"),
    path("work/<int:plan_pk>/report.<str:fmt>", views.work_report, name="work_report"),
    path("work/<int:plan_pk>/publish/", views.work_publish, name="work_publish"),
    path("<str:org_code>/<str:period_code>/", views.workspace, name="workspace"),
    path("<str:org_code>/<str:period_code>/report/", views.report, name="report"),
    path("<str:org_code>/<str:period_code>/<str:key>/", views.chapter, name="chapter"),
    path("<str:org_code>/<str:period_code>/<str:key>/parts/", views.part_save, name="part_save"),
    path("<str:org_code>/<str:period_code>/<str:key>/parts/<int:pk>/", views.part_save, name="part_edit"),
    path("<str:org_code>/<str:period_code>/<str:key>/parts/<int:pk>/remove/", views.part_remove, name="part_remove"),
    path("<str:org_code>/<str:period_code>/<str:key>/cases/pick/", views.case_pick, name="case_pick"),
    path("<str:org_code>/<str:period_code>/<str:key>/cases/<int:pk>/", views.case_edit, name="case_edit"),
    path("<str:org_code>/<str:period_code>/<str:key>/cases/<int:pk>/remove/", views.case_remove, name="case_remove"),
    path("<str:org_code>/<str:period_code>/<str:key>/<slug:action>/", views.review, name="review"),
]
