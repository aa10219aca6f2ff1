import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from dudao.errors import DudaoError
from dudao.plans import services, summary
from dudao.plans.models import Plan
from dudao.plans.parser import parse_file


class Command(BaseCommand):
    help = (
        "Work plans: `parse FILE [--json]` (JSON: doc_number, issuer, issuers, date, title, sections, tasks), "
        "`import FILE --year Y`, `summary --plan ID --format docx|pdf|html`."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        p = sub.add_parser("parse", help="parse a plan (.txt, .docx, .pdf) and print its structure")
        p.add_argument("file")
        p.add_argument("--json", action="store_true")
        i = sub.add_parser("import", help="parse and store a plan")
        i.add_argument("file")
        i.add_argument("--year", type=int, required=True)
        s = sub.add_parser("summary", help="write the year-end summary (交账)")
        s.add_argument("--plan", type=int, required=True)
        s.add_argument("--format", choices=summary.FORMATS, required=True)
        s.add_argument("--out", help="output path (default: plan-ID-summary.FORMAT)")

    def handle(self, *args, action, **options):
        if action == "summary":
            plan = Plan.objects.filter(pk=options["plan"]).first()
            if plan is None:
                raise CommandError(f"找不到工作要点 {options['plan']}")
            out = Path(options["out"] or f"plan-{plan.pk}-summary.{options['format']}")
            out.write_bytes(summary.render(plan, options["format"]))
            self.stdout.write(f"已生成 {out}")
            return
        path = Path(options["file"])
        if not path.exists():
            raise CommandError(f"文件不存在：{path}")
        try:
            parsed = parse_file(path)
        except DudaoError as exc:
            raise CommandError(f"{path.name}: {exc}") from None
        if action == "parse":
            if options["json"]:
                self.stdout.write(json.dumps(parsed.to_json(), ensure_ascii=False, indent=2))
            else:
                self.stdout.write(f"{parsed.title}：{len(parsed.sections)} 个部分，{len(parsed.tasks)} 项任务")
                self.stdout.write(f"发文机关：{parsed.issuer or '未识别'}；发文日期：{parsed.date or '未识别'}")
            return
        try:
            plan = services.import_plan(parsed, options["year"], source_name=path.name)
        except DudaoError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"已导入工作要点 {plan.pk}：{plan.title}（{plan.tasks.count()} 项任务）")
