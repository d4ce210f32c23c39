"""The registry of API methods; each module defines `KometMethod` subclasses."""

from api.base import KometMethod
from api.methods import boxes, lists, orders

METHOD_VIEWS: list[type[KometMethod]] = [*orders.METHODS, *boxes.METHODS, *lists.METHODS]
