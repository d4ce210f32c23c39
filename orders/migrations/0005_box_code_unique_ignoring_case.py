"""Add a unique index on UPPER(code) of boxes, so box codes are unique without regard to case.

Migration 0003 upper-cased box codes but left codes that differ only in case (such as
"ab12" next to "AB12"), and the index cannot be built while they exist. In each such
group one box keeps its code: the one already stored in upper case, or else the oldest,
which is upper-cased. Every other box of the group gets the portal's generated code for
its place on its PO line ("PB", the line id in 8 digits, the box position in 3 digits),
and each rename is logged as a warning so staff can print the box a new label.
"""

import logging

from django.conf import settings
from django.db import migrations, models
from django.db.models import Count
from django.db.models.functions import Upper

logger = logging.getLogger(__name__)

BOX_CODE_MAX_LENGTH = 20


def _replacement_code(box, taken: set[str]) -> str:
    """Return a code for ``box`` that no other box has in any case, and reserve it."""
    candidates = [f"PB{box.po_item_id:08d}{box.sequence:03d}", f"PBBOX{box.pk}"]
    for candidate in candidates:
        if len(candidate) <= BOX_CODE_MAX_LENGTH and candidate.upper() not in taken:
            taken.add(candidate.upper())
            return candidate
    raise RuntimeError(
        f"Box {box.pk} (code {box.code!r}) needs a new code, but {', '.join(candidates)} are "
        "taken. Rename it with box.code.change and run the migration again."
    )


def box_code_case_duplicates_rename(apps, schema_editor):
    Box = apps.get_model("orders", "Box")
    boxes = Box.objects.annotate(code_upper=Upper("code"))
    duplicated = list(
        boxes.values("code_upper")
        .annotate(count=Count("id"))
        .filter(count__gt=1)
        .order_by("code_upper")
        .values_list("code_upper", flat=True)
    )
    if not duplicated:
        return
    taken = set(boxes.values_list("code_upper", flat=True))
    for code_upper in duplicated:
        group = list(boxes.filter(code_upper=code_upper).order_by("id"))
        keeper = next((box for box in group if box.code == code_upper), group[0])
        for box in group:
            if box is keeper:
                continue
            new_code = _replacement_code(box, taken)
            logger.warning(
                "Box %s on PO line %s: code %r renamed to %r, because box %s keeps the same "
                "code ignoring case as %r. Print the box a new label.",
                box.pk,
                box.po_item_id,
                box.code,
                new_code,
                keeper.pk,
                code_upper,
            )
            Box.objects.filter(pk=box.pk).update(code=new_code)
        if keeper.code != code_upper:
            Box.objects.filter(pk=keeper.pk).update(code=code_upper)


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0004_number_sequences"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(box_code_case_duplicates_rename, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="box",
            constraint=models.UniqueConstraint(
                Upper("code"),
                name="unique_box_code_upper",
                violation_error_message="A box with this code already exists (case is ignored).",
            ),
        ),
    ]
