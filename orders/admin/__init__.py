"""Admin for prebooks (sales entry) and purchase orders (procurement decisions).

Importing the modules registers their admins with the default site.
"""

from orders.admin import prebooks, purchase_orders

__all__ = ["prebooks", "purchase_orders"]
