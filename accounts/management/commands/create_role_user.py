"""Create or update a staff user holding one role, for the demo and for tests."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts.roles import ROLES
from accounts.services import role_user_create


class Command(BaseCommand):
    help = "Create or update a staff user with exactly one role group."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--username", required=True)
        parser.add_argument("--role", required=True, choices=ROLES)
        parser.add_argument("--password", required=True)
        parser.add_argument("--email", default="")

    def handle(self, *args, **options) -> None:
        try:
            user = role_user_create(
                username=options["username"],
                role=options["role"],
                password=options["password"],
                email=options["email"],
            )
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from error
        self.stdout.write(f"User {user.username} has role {options['role']}.")
