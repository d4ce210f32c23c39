"""Users shared by the security tests."""

import pytest

from tests.factories import UserFactory

PASSWORD = "correct-horse-battery"


@pytest.fixture
def staff_user(db):
    user = UserFactory(username="clerk")
    # UserFactory sets the password after saving and skips the second save.
    user.save()
    return user


@pytest.fixture
def superuser(db):
    user = UserFactory(username="root", is_superuser=True)
    user.save()
    return user
