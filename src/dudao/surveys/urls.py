"""问卷调查 pages, included at /surveys/ (the answer page, its thank-you page and the QR code are public)."""

from django.urls import path

from . import views

app_name = "surveys"

urlpatterns = [
    path("", views.index, name="index"),
    path("open/", views.open_survey, name="open"),
    path("<int:pk>/", views.survey, name="survey"),
    path("<int:pk>/close/", views.close_survey, name="close"),
    path("<int:pk>/sheet/", views.sheet, name="sheet"),
    path("r/<str:token>/", views.answer, name="answer"),
    path("r/<str:token>/thanks/", views.thanks, name="thanks"),
    path("r/<str:token>/qr.svg", views.qr, name="qr"),
]
