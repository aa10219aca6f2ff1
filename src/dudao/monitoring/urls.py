from django.urls import path

from . import views

app_name = "monitoring"

urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.create, name="create"),
    path("<int:pk>/", views.campaign, name="campaign"),
    path("schedule/<int:pk>/", views.move_date, name="move_date"),
    path("schools/<int:pk>/", views.task, name="task"),
    path("schools/<int:pk>/confirm/", views.confirm, name="confirm"),
]
