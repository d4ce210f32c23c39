"""`manage.py import_catalog FILE.json`: upsert master data shaped like Komet's list methods."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from catalog.importer import catalog_import


class Command(BaseCommand):
    help = (
        "Load customers, vendors, carriers, box types and products from one JSON object "
        "whose keys hold lists shaped like customer.list, vendor.list, carrier.list, "
        "boxtype.list and product.list. Rows are upserted by code; invalid rows are "
        "reported and skipped."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="Path to the JSON file.")

    def handle(self, *args, **options):
        path: Path = options["file"]
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise CommandError(f"File not found: {path}") from None
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise CommandError(f"{path} is not valid JSON: {error}") from None
        try:
            report = catalog_import(data)
        except ValueError as error:
            raise CommandError(str(error)) from None
        for line in report.lines():
            self.stdout.write(line)
        if report.rejected_count:
            self.stdout.write(self.style.WARNING(f"{report.rejected_count} row(s) rejected."))
