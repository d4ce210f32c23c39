"""Production settings: the base settings with every development default removed.

Use with `DJANGO_SETTINGS_MODULE=komet_axerrio.settings_production`. The portal refuses
to start (ImproperlyConfigured) unless DJANGO_SECRET_KEY, DJANGO_ALLOWED_HOSTS and
DATABASE_URL are set in the environment. It expects HTTPS to end at a reverse proxy that
sets `X-Forwarded-Proto`; see docs/security.md for the full list of variables.
"""

from django.core.exceptions import ImproperlyConfigured

from komet_axerrio.settings import *  # noqa: F403
from komet_axerrio.settings import DEVELOPMENT_SECRET_KEY, env

MIN_SECRET_KEY_LENGTH = 50


def _required(name: str) -> str:
    value = env.str(name, default="").strip()
    if not value:
        raise ImproperlyConfigured(
            f"{name} is missing: set it in the environment before starting the portal "
            "with komet_axerrio.settings_production."
        )
    return value


def _secret_key() -> str:
    key = _required("DJANGO_SECRET_KEY")
    if key == DEVELOPMENT_SECRET_KEY or key.startswith("dev-only-"):
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is the public development key; generate a new one with "
            "`python -c 'import secrets; print(secrets.token_urlsafe(64))'`."
        )
    if len(key) < MIN_SECRET_KEY_LENGTH or len(set(key)) < 5:
        raise ImproperlyConfigured(
            f"DJANGO_SECRET_KEY is too short or too uniform: it needs at least "
            f"{MIN_SECRET_KEY_LENGTH} characters and 5 different ones."
        )
    return key


DEBUG = False
SECRET_KEY = _secret_key()
ALLOWED_HOSTS = [host.strip() for host in _required("DJANGO_ALLOWED_HOSTS").split(",")]
# A separate token pepper lets SECRET_KEY be rotated without invalidating every API token.
# Without TOKEN_PEPPER the pepper is SECRET_KEY, as in development.
TOKEN_PEPPER = env.str("TOKEN_PEPPER", default="") or SECRET_KEY

_required("DATABASE_URL")
DATABASES = {"default": env.db_url("DATABASE_URL")}
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DATABASE_CONN_MAX_AGE", default=60))
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

# HTTPS: the proxy terminates TLS and sets X-Forwarded-Proto to https.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

SESSION_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# Admin sessions end after 8 hours, or when the browser closes.
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=8 * 3600)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
CSRF_COOKIE_SECURE = True
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
