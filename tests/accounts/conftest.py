"""The role clients from the orders tests, shared here."""

from tests.orders.conftest import (  # noqa: F401 - fixtures are found by name
    admin_role_client,
    mapping_client,
    procurement_client,
    sales_client,
    warehouse_client,
)
