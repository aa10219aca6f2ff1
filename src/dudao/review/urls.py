"""Review pages: a submission (form, checks, steps, statement, trail), its workflow actions, a campaign's coverage."""

from django.urls import path

from . import views

app_name = "review"

urlpatterns = [
    path("submissions/<int:pk>/", views.submission_detail, name="submission"),
    path("submissions/<int:pk>/actions/<slug:action>/", views.act, name="act"),
    path("campaigns/<int:pk>/coverage/", views.coverage_view, name="coverage"),
    path("campaigns/<int:pk>/coverage.xlsx", views.coverage_xlsx, name="coverage_xlsx"),
    path("campaigns/<int:pk>/coverage/remind/", views.coverage_remind, name="coverage_remind"),
]
