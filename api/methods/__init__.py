"""The registry of API methods; each module defines `KometMethod` subclasses."""

from api.base import KometMethod

METHOD_VIEWS: list[type[KometMethod]] = []
