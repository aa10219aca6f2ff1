"""``dudao escalate_findings``: mark ledger items past their deadline as escalated and tell the owners' superiors
(run daily beside ``notify_deadlines``; a second run the same day does nothing)."""

from datetime import date

from django.core.management.base import BaseCommand
from django.utils import timezone

from dudao.errors import command_errors
from dudao.supervision.services import escalate_overdue


class Command(BaseCommand):
    help = "督导问题逾期升级：标记逾期未整改的问题并通知上级"

    def add_arguments(self, parser):
        parser.add_argument("--today", help="YYYY-MM-DD (default: today)")

    def handle(self, *args, today=None, **options):
        with command_errors():
            on = date.fromisoformat(today) if today else timezone.localdate()
            done = escalate_overdue(on)
            self.stdout.write(f"escalated {len(done)}")
