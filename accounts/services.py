"""Creating the role groups and the users that hold them."""

import logging
from typing import Any

from django.apps import apps as global_apps
from django.contrib.auth import get_user_model
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.roles import ADMIN, ROLE_PERMISSIONS, ROLES

logger = logging.getLogger(__name__)


def role_groups_sync(*, apps: Any = global_apps) -> dict[str, int]:
    """Create the role groups and set each one's permissions; return permissions per role.

    `apps` is the app registry, or a migration's historical one. Permissions that do
    not exist yet (an app not installed) are skipped and logged.
    """
    for app_config in apps.get_app_configs():
        if apps is not global_apps:
            # Historical app configs leave models_module unset, which would make
            # create_permissions skip every app.
            app_config.models_module = True
        create_permissions(app_config, verbosity=0, apps=apps)

    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    counts = {}
    for role in ROLES:
        group, _ = group_model.objects.get_or_create(name=role)
        if role == ADMIN:
            permissions = list(permission_model.objects.all())
        else:
            permissions = _permissions_for(permission_model, role)
        group.permissions.set(permissions)
        counts[role] = len(permissions)
    return counts


def _permissions_for(permission_model: Any, role: str) -> list:
    found = []
    for name in ROLE_PERMISSIONS[role]:
        app_label, codename = name.split(".", 1)
        permission = permission_model.objects.filter(
            content_type__app_label=app_label, codename=codename
        ).first()
        if permission is None:
            logger.warning("Role %s: permission %s does not exist; skipped", role, name)
            continue
        found.append(permission)
    return found


def role_user_create(*, username: str, role: str, password: str, email: str = "") -> Any:
    """Create (or update) a staff user holding exactly one role group.

    Raises ValidationError for an unknown role. The password is set as given; the
    validators in AUTH_PASSWORD_VALIDATORS are not applied, so demo users may use short
    passwords.
    """
    if role not in ROLES:
        raise ValidationError(f"Unknown role {role!r}; choose one of {', '.join(ROLES)}.")
    user_model = get_user_model()
    with transaction.atomic():
        group = Group.objects.filter(name=role).first()
        if group is None:
            role_groups_sync()
            group = Group.objects.get(name=role)
        user, created = user_model.objects.get_or_create(
            username=username, defaults={"email": email}
        )
        user.is_staff = True
        user.set_password(password)
        user.save()
        user.groups.set([group])
    logger.info("Role user %s %s with role %s", username, "created" if created else "updated", role)
    return user


def user_roles(user: Any) -> set[str]:
    """Return the names of a user's roles. A superuser has all of them."""
    if not getattr(user, "is_authenticated", False):
        return set()
    if user.is_superuser:
        return set(ROLES)
    return {group.name for group in user.groups.all() if group.name in ROLES}

