from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from dudao.collection import selectors
from dudao.errors import command_errors
from dudao.orgs.selectors import unit as org_unit
from dudao.reports.builder import build
from dudao.reports.render import FORMATS, render


class Command(BaseCommand):
    help = "Reports: `render --org CODE --period P --format html|pdf|docx --out PATH` writes an annual quality report."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        r = sub.add_parser("render", help="render the report of one org unit (school, district or city)")
        r.add_argument("--org", required=True)
        r.add_argument("--period", required=True)
        r.add_argument("--format", required=True, choices=FORMATS)
        r.add_argument("--out", required=True)

    def handle(self, *args, action, org, period, format, out, **options):
        unit, period_obj = org_unit(org), selectors.period(period)
        if unit is None or period_obj is None:
            raise CommandError(f"找不到机构 {org} 或期间 {period}")
        if unit.level not in ("school", "district", "city"):
            raise CommandError("只能为学校、区或市生成报告")
        with command_errors():
            data = render(build(unit, period_obj), format)
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        Path(out).write_bytes(data)
        self.stdout.write(f"已生成 {out}（{len(data) // 1024} KB）")
