"""Every log handler the portal configures blanks secrets before writing a record."""

import logging


def _portal_handlers(logger: logging.Logger) -> list[logging.Handler]:
    # pytest adds capture handlers of its own to loggers during a test; leave them out.
    return [
        handler for handler in logger.handlers if not type(handler).__module__.startswith("_pytest")
    ]


def _redacts(handler: logging.Handler) -> bool:
    return any(type(item).__name__ == "RedactSecretsFilter" for item in handler.filters)


def test_django_logger_uses_root_handler():
    django_logger = logging.getLogger("django")
    root_handlers = _portal_handlers(logging.getLogger())

    assert _portal_handlers(django_logger) == []
    assert django_logger.propagate is True
    assert root_handlers
    assert all(_redacts(handler) for handler in root_handlers)


def test_django_server_handlers_redact():
    server_handlers = _portal_handlers(logging.getLogger("django.server"))

    assert server_handlers
    assert all(_redacts(handler) for handler in server_handlers)
