from django.core.management.base import BaseCommand

from dudao.collection.catalog import load_all_datasets
from dudao.errors import command_errors
from dudao.orgs.catalog import load_org_catalog


class Command(BaseCommand):
    help = "Load or refresh the YAML catalogs (org tree, data sets, validation rules) into the database."

    def handle(self, *args, **options):
        with command_errors():
            load_org_catalog()
            datasets = load_all_datasets()
        for dataset in datasets:
            self.stdout.write(f"{dataset.code}: {dataset.members.count()} 项, {dataset.rules.count()} 条校验规则")
