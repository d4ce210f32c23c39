"""`manage.py import_catalog FILE.json`: upsert master data shaped like Komet's list methods."""

import json
import logging
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from catalog.importer import catalog_import

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = (
        "Load customers, vendors, carriers, box types and products from one JSON object "
        "whose keys hold lists shaped like customer.list, vendor.list, carrier.list, "
        "boxtype.list and product.list. Rows are upserted by code; invalid and repeated "
        "rows are reported and skipped. The valid rows are written in one transaction, so "
        "a failed import writes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="Path to the JSON file.")

    def handle(self, *args, **options):
        path: Path = options["file"]
        data = _read_json(path)
        try:
            report = catalog_import(data)
        except ValueError as error:
            raise CommandError(str(error)) from None
        except DatabaseError as error:
            logger.exception("Catalogue import from %s failed and was rolled back", path)
            raise CommandError(
                f"The import failed and nothing was written: {error}. Fix the cause and "
                "run the import again."
            ) from None
        for line in report.lines():
            self.stdout.write(line)
        if report.rejected_count:
            self.stdout.write(self.style.WARNING(f"{report.rejected_count} row(s) rejected."))


def _read_json(path: Path):
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CommandError(f"File not found: {path}") from None
    except IsADirectoryError:
        raise CommandError(f"{path} is a directory; give the path of a JSON file.") from None
    except OSError as error:
        raise CommandError(f"Cannot read {path}: {error.strerror}.") from None
    except UnicodeDecodeError as error:
        raise CommandError(f"{path} is not valid UTF-8: {error}") from None
    try:
        return json.loads(text)
    except RecursionError:
        raise CommandError(
            f"{path} is nested too deeply to read; a catalogue needs only four levels."
        ) from None
    except ValueError as error:
        # JSONDecodeError, and numbers longer than Python's integer conversion limit.
        raise CommandError(f"{path} is not valid JSON: {error}") from None
