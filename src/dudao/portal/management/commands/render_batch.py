"""``dudao render_batch`` — render a batch of school reports on N processes of this machine.

Every process serves the same queue of per-school items as ``dudao db_worker`` does (see :mod:`dudao.portal.tasks`),
so this command can run beside db_workers, on several machines at once, and again after a kill (it resumes).
"""

import subprocess
import sys

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from dudao.collection import selectors
from dudao.orgs import selectors as orgs
from dudao.portal import publishing, tasks
from dudao.portal.models import BatchRun


class Command(BaseCommand):
    help = "用 N 个进程批量生成学校报告（--batch 编号，或 --org/--period/--user 新建一个批次）"

    def add_arguments(self, parser):
        parser.add_argument("--workers", type=int, default=0, help="进程数（默认：CPU 核数）")
        parser.add_argument("--batch", type=int, help="已有批次的编号（继续或加入它）")
        parser.add_argument("--org", help="新批次的单位代码（区或市）")
        parser.add_argument("--period", help="新批次的年度代码")
        parser.add_argument("--user", help="申请人用户名（须有申请发布的权限）")

    def handle(self, *args, workers=0, batch=None, org=None, period=None, user=None, **options):
        if batch is None:
            batch = self._create(org, period, user).pk
        elif not BatchRun.objects.filter(pk=batch).exists():
            raise CommandError(f"没有编号为 {batch} 的批次")
        workers = workers or tasks.workers()
        if workers == 1:
            rendered = tasks.prepare_school_reports.call(batch)
        else:
            argv = [sys.executable, "-m", "dudao.cli", "render_batch", "--batch", str(batch), "--workers", "1"]
            children = [subprocess.Popen(argv) for _ in range(workers)]
            codes = [child.wait() for child in children]
            if any(codes):
                raise CommandError(f"有进程异常退出：{codes}")
            rendered = None
        run = BatchRun.objects.get(pk=batch)
        mine = "" if rendered is None else f"，本进程生成 {rendered} 份"
        self.stdout.write(f"批次 {batch}：{run.get_status_display()} {run.done}/{run.total}{mine}")

    def _create(self, org_code, period_code, username) -> BatchRun:
        if not (org_code and period_code and username):
            raise CommandError("请给出 --batch，或 --org、--period 与 --user")
        org, period = orgs.unit(org_code), selectors.period(period_code)
        requester = get_user_model().objects.filter(username=username).first()
        if org is None or period is None or requester is None:
            raise CommandError("单位、年度或用户不存在")
        if not publishing.may_request(requester, org):
            raise CommandError(f"{username} 无权为 {org.name} 申请发布报告")
        with transaction.atomic():
            return BatchRun.objects.create(org=org, period=period, requested_by=requester)
