"""``dudao restore PATH --yes`` — replace the database with a backup, verified before it is committed."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from dudao.errors import command_errors
from dudao.ops.backup import restore


class Command(BaseCommand):
    help = "用备份文件替换当前数据库（先校验，校验不通过则不做任何修改）"

    def add_arguments(self, parser):
        parser.add_argument("path")
        parser.add_argument("--yes", action="store_true", help="确认覆盖当前数据库")

    def handle(self, *args, path, yes=False, **options):
        if not yes:
            raise CommandError("恢复会覆盖当前数据库中的全部数据；确认请加 --yes")
        with command_errors():
            manifest = restore(Path(path))
        rows = sum(manifest["counts"].values())
        self.stdout.write(f"已恢复 {rows} 行（备份时间 {manifest['created_at']}），数据值校验和一致。")
