"""`manage.py issue_token`: create an API token and print it once, as the last line."""

from django.core.management.base import BaseCommand, CommandError

from catalog.models import Vendor
from tokens.models import ApiToken
from tokens.services import api_token_issue, resolve_methods


class Command(BaseCommand):
    help = (
        "Create an API token. The token is printed once, as the last line of output, and "
        "cannot be shown again: store it where the farm's system can read it."
    )

    def add_arguments(self, parser):
        parser.add_argument("--type", choices=["vendor", "company"], default="vendor")
        parser.add_argument("--vendor", help="Vendor code; required for a vendor token.")
        parser.add_argument(
            "--methods",
            default="axerrio",
            help="'axerrio' for the 11 Axerrio methods, 'all', or a comma-separated list.",
        )
        parser.add_argument("--description", required=True)
        parser.add_argument("--quota", type=int, help="Daily request quota (default 1,000).")
        parser.add_argument(
            "--allowed-networks", default="", help="Comma-separated CIDR ranges; empty allows any."
        )

    def handle(self, *args, **options):
        vendor = None
        if options["type"] == "vendor":
            if not options["vendor"]:
                raise CommandError("--vendor CODE is required for a vendor token.")
            vendor = Vendor.objects.filter(code=options["vendor"]).first()
            if vendor is None:
                raise CommandError(f"No vendor with code {options['vendor']!r}.")
        elif options["vendor"]:
            raise CommandError("A company token cannot be bound to a vendor; drop --vendor.")
        try:
            methods = resolve_methods(options["methods"])
            issued = api_token_issue(
                token_type=ApiToken.TokenType(options["type"]),
                description=options["description"],
                methods=methods,
                vendor=vendor,
                daily_quota=options["quota"],
                allowed_networks="\n".join(
                    part.strip() for part in options["allowed_networks"].split(",") if part.strip()
                ),
            )
        except ValueError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(
            f"Created {options['type']} token {issued.token.prefix}… granting "
            f"{len(methods)} method(s). It is shown once:"
        )
        self.stdout.write(issued.plaintext)
