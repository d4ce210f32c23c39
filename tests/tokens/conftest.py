"""Users and vendors for the token tests."""

import pytest
from django.contrib.auth.models import Group, Permission

from tests.factories import UserFactory, VendorFactory


@pytest.fixture
def token_admin(db):
    return UserFactory(username="token-admin", groups=["Admin"])


@pytest.fixture
def superuser(db):
    user = UserFactory(username="root", is_superuser=True)
    # UserFactory sets the password after saving and skips the second save.
    user.save()
    return user


@pytest.fixture
def procurement_user(db):
    """Staff outside the Admin group, holding every tokens model permission directly."""
    user = UserFactory(username="buyer", groups=["Procurement"])
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="tokens"))
    return user


@pytest.fixture
def vendor(db):
    return VendorFactory(code="ROSAS")


@pytest.fixture
def admin_group_missing(db):
    Group.objects.filter(name="Admin").delete()
