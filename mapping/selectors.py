"""Reads of the mapping app shared by the admin queues, dashboards and other apps."""

from django.contrib.contenttypes.models import ContentType
from django.db.models import (
    Count,
    DateField,
    Exists,
    F,
    IntegerField,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, Least

from audit.models import AuditEntry
from mapping.kinds import SPECS, KindSpec
from mapping.models import VendorCode


def unknown_counts() -> dict[str, int]:
    """Return the number of unmapped codes per kind: {"product": 3, "box_type": 0, ...}."""
    return {
        kind: spec.code_model.objects.filter(target__isnull=True).count()
        for kind, spec in SPECS.items()
    }


def _aggregate(queryset: QuerySet, group_by: str, expression, output_field) -> Subquery:
    """Wrap one aggregate of `queryset` per outer row in a scalar subquery."""
    return Subquery(
        queryset.order_by().values(group_by).annotate(value=expression).values("value")[:1],
        output_field=output_field,
    )


def _held_lines(spec: KindSpec, model, code_path: str, target_path: str) -> QuerySet:
    return model.objects.filter(
        **{code_path: OuterRef("pk"), f"{target_path}__isnull": True}
    )


def vendor_code_queue(spec: KindSpec) -> QuerySet:
    """Return the farm codes of one kind with what each one holds back, newest first.

    Annotations: `held_prebook_lines`, `held_po_lines`, `held_boxes` and
    `earliest_ship_date` (the earliest farm ship date among the held lines). Only lines
    whose catalogue field is still empty count, so a mapped code has zero held lines. Each is
    a correlated subquery, so a page of the queue costs one query whatever its length.
    """
    from orders.models import PrebookItem, PurchaseOrderItem

    integer = IntegerField()
    prebook_lines = _held_lines(spec, PrebookItem, spec.prebook_code_path, spec.prebook_target_path)
    prebook_group = spec.prebook_code_path
    queryset = spec.code_model.objects.select_related("vendor", "target").annotate(
        held_prebook_lines=Coalesce(
            _aggregate(prebook_lines, prebook_group, Count("pk"), integer), Value(0)
        ),
        held_prebook_boxes=Coalesce(
            _aggregate(prebook_lines, prebook_group, Sum("boxes"), integer), Value(0)
        ),
        prebook_ship_date=_aggregate(
            prebook_lines, prebook_group, Min("vendor_ship_date"), DateField()
        ),
    )
    if spec.po_code_path is None:
        return queryset.annotate(
            held_po_lines=Value(0, output_field=integer),
            held_boxes=Coalesce("held_prebook_boxes", Value(0)),
            earliest_ship_date=F("prebook_ship_date"),
        )

    po_lines = _held_lines(spec, PurchaseOrderItem, spec.po_code_path, spec.po_target_path)
    po_lines = po_lines.exclude(status=PurchaseOrderItem.Status.DELETED)
    po_group = spec.po_code_path
    return queryset.annotate(
        held_po_lines=Coalesce(_aggregate(po_lines, po_group, Count("pk"), integer), Value(0)),
        held_po_boxes=Coalesce(_aggregate(po_lines, po_group, Sum("boxes"), integer), Value(0)),
        po_ship_date=_aggregate(po_lines, po_group, Min("purchase_order__ship_date"), DateField()),
    ).annotate(
        held_boxes=Coalesce("held_prebook_boxes", Value(0)) + Coalesce("held_po_boxes", Value(0)),
        # SQLite's LEAST is NULL when either side is, so each side falls back to the other.
        earliest_ship_date=Least(
            Coalesce("prebook_ship_date", "po_ship_date"),
            Coalesce("po_ship_date", "prebook_ship_date"),
        ),
    )


def held_line_exists(spec: KindSpec, ship_date: dict[str, object]) -> Q:
    """Return a condition on farm codes: has a held line whose ship date matches `ship_date`.

    `ship_date` maps lookups to values, e.g. {"gt": today, "lte": week}.
    """
    from orders.models import PrebookItem, PurchaseOrderItem

    prebook_lines = PrebookItem.objects.filter(
        **{spec.prebook_code_path: OuterRef("pk"), f"{spec.prebook_target_path}__isnull": True},
        **{f"vendor_ship_date__{lookup}": value for lookup, value in ship_date.items()},
    )
    condition = Q(Exists(prebook_lines))
    if spec.po_code_path:
        po_lines = PurchaseOrderItem.objects.filter(
            **{spec.po_code_path: OuterRef("pk"), f"{spec.po_target_path}__isnull": True},
            **{
                f"purchase_order__ship_date__{lookup}": value
                for lookup, value in ship_date.items()
            },
        ).exclude(status=PurchaseOrderItem.Status.DELETED)
        condition |= Q(Exists(po_lines))
    return condition


def vendor_code_history(code: VendorCode) -> QuerySet:
    """Return the audit entries of one farm code, newest first."""
    content_type = ContentType.objects.get_for_model(code, for_concrete_model=False)
    return AuditEntry.objects.filter(content_type=content_type, object_id=str(code.pk))
