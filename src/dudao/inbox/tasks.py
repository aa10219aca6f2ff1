"""Background jobs of the inbox (django-tasks): the daily deadline messages."""

from django_tasks import task

from . import deadlines


@task()
def notify_deadlines() -> int:
    return deadlines.notify_deadlines()
