"""The production settings pass `check --deploy` and refuse to start without safe secrets."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GOOD_KEY = "p8Qz-3vLr_T1wXn0bY7sKc4jHd9fGm2aE6uVo5iRyBqNtWlZxC1kJ0hS"

CHECK = (
    "import django; django.setup(); "
    "from django.core.management import call_command; "
    "call_command('check', '--deploy', '--fail-level', 'WARNING')"
)


def _run(code: str, **overrides: str | None) -> subprocess.CompletedProcess:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "SECURE_", "TOKEN_PEPPER"))
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "komet_axerrio.settings_production",
            "DJANGO_SECRET_KEY": GOOD_KEY,
            "DJANGO_ALLOWED_HOSTS": "portal.example.com",
            "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/portal_security",
        }
    )
    for key, value in overrides.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_check_deploy_clean():
    result = _run(CHECK)

    assert result.returncode == 0, result.stderr
    assert "WARNINGS" not in result.stderr + result.stdout


def test_settings_values():
    code = (
        "from django.conf import settings as s; "
        "print(s.DEBUG, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT, "
        "s.SECURE_HSTS_SECONDS >= 31536000, s.ALLOWED_HOSTS, s.TOKEN_PEPPER == s.SECRET_KEY)"
    )

    result = _run(code)

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "False", "True", "True", "True", "True", "['portal.example.com']", "True"
    ]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"DJANGO_SECRET_KEY": None}, "DJANGO_SECRET_KEY is missing"),
        ({"DJANGO_SECRET_KEY": ""}, "DJANGO_SECRET_KEY is missing"),
        ({"DJANGO_SECRET_KEY": "short-key"}, "too short"),
        ({"DJANGO_SECRET_KEY": "a" * 60}, "too uniform"),
        (
            {"DJANGO_SECRET_KEY": "dev-only-insecure-key-change-me-0123456789abcdef"},
            "public development key",
        ),
        ({"DJANGO_ALLOWED_HOSTS": None}, "DJANGO_ALLOWED_HOSTS is missing"),
        ({"DATABASE_URL": None}, "DATABASE_URL is missing"),
    ],
)
def test_refuses_unsafe_environment(overrides, message):
    result = _run("import django; django.setup()", **overrides)

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert message in result.stderr


def test_separate_token_pepper():
    result = _run(
        "from django.conf import settings as s; print(s.TOKEN_PEPPER)",
        TOKEN_PEPPER="another-secret-pepper-value",
    )

    assert result.stdout.strip() == "another-secret-pepper-value"
