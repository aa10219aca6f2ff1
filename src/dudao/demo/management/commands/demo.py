from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.urls import reverse

from dudao.demo.load import DEMO_LOGINS, DEMO_PASSWORD, is_loaded, load_demo
from dudao.demo.plans import load_plans
from dudao.demo.publish import publish_demo
from dudao.indicators.engine import rebuild


class Command(BaseCommand):
    help = "Load the Shanghai demo: 16 districts, 71 secondary vocational schools, 2018–2020 data, users per role."

    def add_arguments(self, parser):
        parser.add_argument("--reset", action="store_true", help="flush the database first")

    def handle(self, *args, reset=False, **options):
        if reset:
            call_command("flush", interactive=False, verbosity=0)
        if is_loaded() and not reset:
            self.stdout.write("演示数据已存在（--reset 可重新加载）。")
        else:
            summary = load_demo()
            self.stdout.write(
                self.style.SUCCESS(
                    f"已加载演示数据：{summary.districts} 个区，{summary.schools} 所中职学校，{summary.users} 个用户。"
                )
            )
            self.stdout.write(
                "督导评估演示数据：80 所义务教育学校、64 所幼儿园、62 所高校，督政评分与责任督学访校记录（"
                f"{reverse('evaluation:index')}）。"
            )
            run = rebuild()
            self.stdout.write(f"已计算指标：{run.rows} 个指标值。")
            published = publish_demo()
            self.stdout.write(f"已公开 {published} 份年度质量报告（{reverse('portal:index')}）。")
            tasks = load_plans()
            self.stdout.write(f"已导入2020年职业教育工作要点：{tasks} 项任务（{reverse('plans:list')}）。")
        self.stdout.write(f"演示账号（密码均为 {DEMO_PASSWORD}）：")
        for username, label in DEMO_LOGINS:
            self.stdout.write(f"  {username:24s} {label}")
