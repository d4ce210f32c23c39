from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Users and roles"

    def ready(self) -> None:
        post_migrate.connect(_sync_roles_after_migrate, sender=self)


def _sync_roles_after_migrate(sender, apps=None, **kwargs) -> None:
    """Refresh the role groups after every migrate, so the Admin role gains new permissions.

    `flush` (run after each transactional test) sends the signal without `apps`, so the
    global registry is used then.
    """
    from django.apps import apps as global_apps

    from accounts.services import role_groups_sync

    role_groups_sync(apps=apps or global_apps)
