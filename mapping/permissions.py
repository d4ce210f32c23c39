"""The mapping permission: superusers and members of the Admin or Mapping group."""

from typing import Any

MAPPING_GROUPS = ("Admin", "Mapping")


def user_can_map(user: Any) -> bool:
    """Return True for an active staff user allowed to change mappings.

    Groups are looked up by name, so a missing group only means it has no members. The
    answer is cached on the user object for the rest of the request.
    """
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_superuser:
        return True
    cached = getattr(user, "_can_map", None)
    if cached is None:
        cached = user.groups.filter(name__in=MAPPING_GROUPS).exists()
        user._can_map = cached
    return cached
