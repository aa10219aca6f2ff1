"""The public portal (/portal/, no login) and the publication desk (/publications/)."""

from django.urls import path

from . import views

app_name = "portal"

urlpatterns = [
    path("portal/", views.index, name="index"),
    path("portal/districts/<str:code>/", views.district, name="district"),
    path("portal/reports/<int:pk>/", views.report_html, name="report"),
    path("portal/reports/<int:pk>/pdf/", views.report_pdf, name="pdf"),
    path("portal/supervision/", views.supervision_summaries, name="supervision"),
    path("portal/verify/", views.verify, name="verify"),
    path("portal/verify/<int:pk>/", views.verify, name="verify_publication"),
    path("publications/", views.desk, name="desk"),
    path("publications/request/", views.desk_request, name="desk_request"),
    path("publications/coverage/", views.desk_coverage, name="desk_coverage"),
    path("publications/<int:pk>/preview/", views.desk_preview, name="desk_preview"),
    path("publications/<int:pk>/preview.pdf", views.desk_preview_pdf, name="desk_preview_pdf"),
    path("publications/<int:pk>/<slug:decision>/", views.desk_review, name="desk_review"),
    path("publications/batches/", views.batch_start, name="batch_start"),
    path("publications/batches/<int:pk>/", views.batch, name="batch"),
    path("publications/batches/<int:pk>/retry/", views.batch_retry, name="batch_retry"),
]
