from django.core.management.base import BaseCommand, CommandError

from dudao.collection.catalog import CatalogError, load_all_datasets
from dudao.collection.expressions import ExpressionError
from dudao.orgs.catalog import load_org_catalog


class Command(BaseCommand):
    help = "Load or refresh the YAML catalogs (org tree, data sets, validation rules) into the database."

    def handle(self, *args, **options):
        try:
            load_org_catalog()
            datasets = load_all_datasets()
        except (CatalogError, ExpressionError) as exc:
            raise CommandError(str(exc)) from None
        for dataset in datasets:
            self.stdout.write(f"{dataset.code}: {dataset.members.count()} 项, {dataset.rules.count()} 条校验规则")
