"""Reads of API tokens shared by the admin and the tests."""

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from tokens.models import ApiToken, ApiTokenDailyUsage

ADMIN_GROUP = "Admin"


def user_is_token_admin(user: AbstractBaseUser | AnonymousUser | None) -> bool:
    """Return True for active staff who are superusers or members of the Admin group.

    The group is looked up by name, so a database without it simply has no group admins.
    """
    if user is None or not user.is_authenticated or not user.is_active or not user.is_staff:
        return False
    if user.is_superuser:
        return True
    # Cached on the user object, which lives for one request, because every admin page
    # checks several times.
    cached = getattr(user, "_is_token_admin", None)
    if cached is None:
        cached = user.groups.filter(name=ADMIN_GROUP).exists()
        user._is_token_admin = cached
    return cached


def api_tokens_with_usage(queryset: QuerySet[ApiToken] | None = None) -> QuerySet[ApiToken]:
    """Annotate each token with `requests_today`, its request count for the current UTC day."""
    today = timezone.now().date()
    usage = ApiTokenDailyUsage.objects.filter(token=OuterRef("pk"), day=today).values("requests")
    queryset = queryset if queryset is not None else ApiToken.objects.all()
    return queryset.annotate(
        requests_today=Coalesce(
            Subquery(usage[:1], output_field=IntegerField()), Value(0), output_field=IntegerField()
        )
    )
