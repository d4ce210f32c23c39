"""Recreate the role groups and reset their permissions to the portal's definition."""

from django.core.management.base import BaseCommand

from accounts.services import role_groups_sync


class Command(BaseCommand):
    help = "Create the role groups if missing and reset each group's permissions."

    def handle(self, *args, **options) -> None:
        for role, count in role_groups_sync().items():
            self.stdout.write(f"{role}: {count} permissions")
