"""The 数字驾驶舱 (included at /dashboard/)."""

from django.urls import path

from . import views

app_name = "indicators"

urlpatterns = [
    path("", views.cockpit, name="cockpit"),
    path("data.json", views.cockpit_data, name="cockpit_data"),
]
