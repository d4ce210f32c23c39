"""A fresh `migrate` on an empty database: role groups complete, no warnings logged."""

import os
import sqlite3
import subprocess
import sys

import pytest

from accounts.roles import ADMIN, ROLE_PERMISSIONS, ROLES
from tests.conftest import ROOT


@pytest.fixture(scope="module")
def fresh_migrate(tmp_path_factory) -> tuple[subprocess.CompletedProcess, str]:
    """Run `manage.py migrate` in a subprocess on a new SQLite file; return it and the path."""
    folder = tmp_path_factory.mktemp("fresh-migrate")
    database = folder / "portal.sqlite3"
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": f"sqlite:///{database}",
            "PORTAL_VAR_DIR": str(folder / "var"),
            "PYTHONUNBUFFERED": "1",
        }
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--no-input"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    return result, str(database)


def role_permissions(database: str) -> dict[str, set[str]]:
    query = """
        SELECT g.name, ct.app_label || '.' || p.codename
        FROM auth_group g
        JOIN auth_group_permissions gp ON gp.group_id = g.id
        JOIN auth_permission p ON p.id = gp.permission_id
        JOIN django_content_type ct ON ct.id = p.content_type_id
    """
    found: dict[str, set[str]] = {}
    with sqlite3.connect(database) as connection:
        for name in connection.execute("SELECT name FROM auth_group"):
            found.setdefault(name[0], set())
        for role, permission in connection.execute(query):
            found[role].add(permission)
    return found


def all_permissions(database: str) -> set[str]:
    query = """
        SELECT ct.app_label || '.' || p.codename
        FROM auth_permission p JOIN django_content_type ct ON ct.id = p.content_type_id
    """
    with sqlite3.connect(database) as connection:
        return {row[0] for row in connection.execute(query)}


def test_fresh_migrate_logs_no_warning(fresh_migrate):
    result, _ = fresh_migrate

    assert result.returncode == 0, result.stderr
    output = result.stdout + result.stderr
    assert "WARNING" not in output
    assert "does not exist" not in output


@pytest.mark.parametrize("role", sorted(ROLE_PERMISSIONS))
def test_fresh_migrate_role_permissions(fresh_migrate, role):
    _, database = fresh_migrate

    assert role_permissions(database)[role] == set(ROLE_PERMISSIONS[role])


def test_fresh_migrate_admin_has_all(fresh_migrate):
    _, database = fresh_migrate

    groups = role_permissions(database)
    assert set(groups) == set(ROLES)
    assert groups[ADMIN] == all_permissions(database)
    assert "receiving.view_boxscan" in groups[ADMIN]
