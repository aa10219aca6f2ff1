"""Data collection pages: a school's submission form, its Excel round trip, and a district's bulk Excel."""

from django.urls import path

from . import views

app_name = "collection"

urlpatterns = [
    path("submissions/<int:pk>/values/<slug:code>/", views.save_value, name="save_value"),
    path("submissions/<int:pk>/findings/", views.findings, name="findings"),
    path("submissions/<int:pk>/explain/", views.explain, name="explain"),
    path("submissions/<int:pk>/template.xlsx", views.school_template, name="school_template"),
    path("submissions/<int:pk>/upload/", views.school_upload, name="school_upload"),
    path("campaigns/<int:pk>/district/<str:org_code>/template.xlsx", views.district_template, name="district_template"),
    path("campaigns/<int:pk>/district/<str:org_code>/upload/", views.district_upload, name="district_upload"),
]
