"""``dudao evaluate SCHEME --period P [--org CODE] [--json]`` — run an evaluation scheme from the command line."""

import json

from django.core.management.base import BaseCommand

from dudao.errors import command_errors
from dudao.evaluation import registry
from dudao.evaluation.run import evaluate
from dudao.evaluation.text import describe


class Command(BaseCommand):
    @property
    def help(self):
        return f"运行督导评估方案（{'、'.join(registry.codes())}）"

    def add_arguments(self, parser):
        parser.add_argument("scheme", choices=registry.codes())
        parser.add_argument("--period", required=True, help="期间代码，如 2020")
        parser.add_argument("--org", default=None, help="机构代码（默认全市）")
        parser.add_argument("--json", action="store_true", help="输出 JSON")

    def handle(self, *args, **options):
        with command_errors():
            result = evaluate(options["scheme"], options["period"], options["org"])
        if options["json"]:
            self.stdout.write(json.dumps(result, ensure_ascii=False, indent=2))
        else:
            self.stdout.write("\n".join(describe(result)))
