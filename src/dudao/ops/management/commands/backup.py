"""``dudao backup [PATH]`` — write the whole database to one gzip'd JSON file (see :mod:`dudao.ops.backup`)."""

from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from dudao.ops.backup import backup


class Command(BaseCommand):
    help = "备份整个数据库到一个文件（默认 var/backups/dudao-时间.json.gz）"

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?")

    def handle(self, *args, path=None, **options):
        default = Path(settings.VAR_DIR) / "backups" / f"dudao-{datetime.now():%Y%m%d-%H%M%S}.json.gz"
        target = Path(path) if path else default
        manifest = backup(target)
        rows = sum(manifest["counts"].values())
        self.stdout.write(f"已备份 {rows} 行到 {target}（数据值 SHA-256 {manifest['values_sha256'][:16]}…）")
