"""Work plans (工作要点), included at /plans/."""

from django.urls import path

from . import views

app_name = "plans"

urlpatterns = [
    path("", views.plan_list, name="list"),
    path("import/", views.plan_import, name="import"),
    path("compare/", views.compare, name="compare"),
    path("<int:pk>/", views.plan_detail, name="plan"),
    path("<int:pk>/board/", views.plan_board, name="board"),
    path("<int:pk>/summary.<str:fmt>", views.plan_summary, name="summary"),
    path("tasks/<int:pk>/", views.task_detail, name="task"),
    path("tasks/<int:pk>/assign/", views.task_assign, name="assign"),
    path("assignments/<int:pk>/report/", views.task_report, name="report"),
    path("assignments/<int:pk>/remind/", views.task_remind, name="remind"),
    path("reminders/<int:pk>/answer/", views.reminder_answer, name="answer"),
    path("accounts/", views.account_list, name="accounts"),
    path("accounts/review/", views.account_queue, name="account_queue"),
    path("assignments/<int:pk>/account/", views.account_form, name="account"),
    path("assignments/<int:pk>/account/<slug:decision>/", views.account_review, name="account_review"),
]
