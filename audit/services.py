"""Writing the audit trail."""

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models

from audit.models import AuditEntry


def actor_label_for(user: Any) -> str:
    if user is None or not getattr(user, "is_authenticated", False):
        return "system"
    return user.get_username()


def audit_record(
    *,
    action: str,
    obj: models.Model,
    actor: Any = None,
    actor_label: str | None = None,
    changes: dict[str, list[Any]] | None = None,
    reason: str = "",
) -> AuditEntry:
    """Append one entry for `obj`; `changes` maps a field to its [old, new] values."""
    user = actor if getattr(actor, "is_authenticated", False) else None
    return AuditEntry.objects.create(
        actor=user,
        actor_label=actor_label or actor_label_for(actor),
        action=action,
        content_type=ContentType.objects.get_for_model(obj, for_concrete_model=False),
        object_id=str(obj.pk),
        object_repr=str(obj)[:200],
        changes=changes or {},
        reason=reason[:500],
    )
