"""`manage.py issue_token`: create an API token and print it once, as the last line."""

from django.core.management.base import BaseCommand, CommandError

from catalog.models import Vendor
from tokens.models import ApiToken
from tokens.services import (
    DESCRIPTION_MAX_LENGTH,
    MAX_DAILY_QUOTA,
    MIN_DAILY_QUOTA,
    TokenInputError,
    api_token_issue,
    resolve_methods,
)

# The option that sets each ApiToken field, for errors raised by the service.
OPTION_FOR_FIELD = {"description": "--description", "daily_quota": "--quota"}


class Command(BaseCommand):
    help = (
        "Create an API token. The token is printed once, as the last line of output, and "
        "cannot be shown again: store it where the farm's system can read it."
    )

    def add_arguments(self, parser):
        parser.add_argument("--type", choices=["vendor", "company"], default="vendor")
        parser.add_argument(
            "--vendor",
            help="Vendor code, matched ignoring case; required for a vendor token.",
        )
        parser.add_argument(
            "--methods",
            default="axerrio",
            help="'axerrio' for the 11 Axerrio methods, 'all', or a comma-separated list.",
        )
        parser.add_argument(
            "--description",
            required=True,
            help=f"What the token is for, 1 to {DESCRIPTION_MAX_LENGTH} characters.",
        )
        parser.add_argument(
            "--quota",
            type=int,
            help=(
                f"Requests allowed per UTC day, {MIN_DAILY_QUOTA:,} to {MAX_DAILY_QUOTA:,} "
                "(default: the API_DEFAULT_DAILY_QUOTA setting, 1,000 unless changed)."
            ),
        )
        parser.add_argument(
            "--allowed-networks", default="", help="Comma-separated CIDR ranges; empty allows any."
        )

    def handle(self, *args, **options):
        vendor = None
        if options["type"] == "vendor":
            if not options["vendor"]:
                raise CommandError("--vendor CODE is required for a vendor token.")
            vendor = _vendor_for_code(options["vendor"])
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
        except TokenInputError as error:
            raise CommandError(f"{OPTION_FOR_FIELD[error.field]}: {error}") from None
        except ValueError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(
            f"Created {options['type']} token {issued.token.prefix}… granting "
            f"{len(methods)} method(s). It is shown once:"
        )
        self.stdout.write(issued.plaintext)


def _vendor_for_code(code: str) -> Vendor:
    """Find the vendor by code ignoring case; an exact match wins over a case-only one."""
    code = code.strip()
    matches = list(Vendor.objects.filter(code__iexact=code).order_by("code"))
    exact = [vendor for vendor in matches if vendor.code == code]
    if exact:
        return exact[0]
    if not matches:
        raise CommandError(f"No vendor with code {code!r}.")
    if len(matches) > 1:
        codes = ", ".join(vendor.code for vendor in matches)
        raise CommandError(f"Vendor code {code!r} matches {codes}; give the exact code.")
    return matches[0]
