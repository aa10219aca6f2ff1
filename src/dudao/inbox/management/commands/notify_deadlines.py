"""``dudao notify_deadlines``: the daily deadline messages (run it from cron once a day; safe to run again)."""

from django.core.management.base import BaseCommand

from dudao.errors import command_errors


class Command(BaseCommand):
    help = "提醒尚未提交数据的学校：采集任务3天内截止或已逾期（每天运行一次，重复运行不会重复提醒）"

    def add_arguments(self, parser):
        parser.add_argument("--enqueue", action="store_true", help="交给后台任务队列（dudao db_worker）执行")

    def handle(self, *args, **options):
        with command_errors():
            if options["enqueue"]:
                from dudao.inbox.tasks import notify_deadlines as job

                result = job.enqueue()
                self.stdout.write(f"已加入后台队列：{result.id}")
                return
            from dudao.inbox.deadlines import notify_deadlines

            created = notify_deadlines()
            self.stdout.write(f"已发出 {created} 条截止提醒")
