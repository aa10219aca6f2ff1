"""Public statistics imports (公开统计数据), included at /statistics/."""

from django.urls import path

from . import views

app_name = "statistics"

urlpatterns = [
    path("", views.import_list, name="list"),
    path("import/", views.import_page, name="import"),
    path("imports/<int:pk>/", views.import_detail, name="detail"),
]
