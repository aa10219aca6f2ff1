import json

from django.core.management.base import BaseCommand, CommandError

from dudao.collection import selectors
from dudao.errors import command_errors
from dudao.indicators import engine
from dudao.indicators.query import as_json, readings
from dudao.orgs.selectors import unit
from dudao.rounding import fixed


class Command(BaseCommand):
    help = "Indicators: `rebuild` recomputes all of them; `show --org CODE --period P [--json]` prints one unit."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("rebuild", help="recompute every indicator for every org unit and period")
        show = sub.add_parser("show", help="print indicator values of one org unit and period")
        show.add_argument("--org", required=True, help="org unit code, e.g. 310000")
        show.add_argument("--period", required=True, help="period code, e.g. 2020")
        show.add_argument("--json", action="store_true", help="machine-readable output")

    def handle(self, *args, action, **options):
        if action == "rebuild":
            with command_errors():  # a catalog error (bad formula, unknown element) is a message, not a trace
                run = engine.rebuild()
            self.stdout.write(
                f"已重建指标：{run.values} 个数据值 → {run.rows} 个指标值，用时 {fixed(run.seconds, 2)} 秒"
            )
            return
        org, period = unit(options["org"]), selectors.period(options["period"])
        if org is None or period is None:
            raise CommandError(f"找不到机构 {options['org']} 或期间 {options['period']}")
        if options["json"]:
            self.stdout.write(json.dumps(as_json(org, period), ensure_ascii=False, indent=2))
            return
        self.stdout.write(f"{org.name} {period.name}")
        for r in readings(org, period).values():
            change = "" if r.change is None else f"  {r.change:+g}{'个百分点' if r.change_unit == 'pp' else '%'}"
            value = "—" if r.value is None else f"{r.value:g}"
            self.stdout.write(f"  {r.name:<24} {value:>14} {r.unit}{change}")
