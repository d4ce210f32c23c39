"""Upper-case existing box codes, because box codes are now case-insensitive.

Codes that would collide after upper-casing (such as "ab12" next to "AB12") are left as
they are and logged as a warning. Lookups try the code exactly as sent before its upper
case form, so ``box.code.change`` with the stored lower-case code can still rename it.
"""

import logging
from collections import defaultdict

from django.db import migrations

logger = logging.getLogger(__name__)

# Only ASCII letters change, the same as orders.services.boxes.box_code_normalize. The
# migration keeps its own copy so that later changes to the service do not alter it.
_ASCII_UPPER = str.maketrans("abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ")


def box_codes_upper_case(apps, schema_editor):
    Box = apps.get_model("orders", "Box")
    lower = Box.objects.filter(code__regex=r"[a-z]").values_list("pk", "code")
    groups: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for pk, code in lower.iterator(chunk_size=2000):
        groups[code.translate(_ASCII_UPPER)].append((pk, code))
    if not groups:
        return
    taken = set(Box.objects.filter(code__in=list(groups)).values_list("code", flat=True))
    changed = 0
    for upper, boxes in groups.items():
        if upper in taken or len(boxes) > 1:
            codes = sorted([code for _pk, code in boxes] + ([upper] if upper in taken else []))
            logger.warning(
                "Box codes %s differ only in case and were left unchanged. Rename all but "
                "one with box.code.change, sending each code exactly as stored.",
                ", ".join(codes),
            )
            continue
        Box.objects.filter(pk=boxes[0][0]).update(code=upper)
        changed += 1
    logger.info("Upper-cased %s box codes", changed)


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0002_documentcounter_alter_purchaseorder_options"),
    ]

    operations = [
        migrations.RunPython(box_codes_upper_case, migrations.RunPython.noop, elidable=True),
    ]
