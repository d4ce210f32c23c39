"""The portal's roles: one Django group each, with the model permissions its work needs.

`ROLE_PERMISSIONS` maps a role to `app_label.codename` strings. The Admin role is
given every permission instead, so it is not listed here. A superuser passes every
check whatever their groups.
"""

ADMIN = "Admin"
PROCUREMENT = "Procurement"
SALES = "Sales"
WAREHOUSE = "Warehouse"
MAPPING = "Mapping"

ROLES = (ADMIN, PROCUREMENT, SALES, WAREHOUSE, MAPPING)

_CATALOGUE_VIEW = [
    "catalog.view_vendor",
    "catalog.view_customer",
    "catalog.view_carrier",
    "catalog.view_carriercutoff",
    "catalog.view_boxtype",
    "catalog.view_product",
]

ROLE_PERMISSIONS: dict[str, list[str]] = {
    PROCUREMENT: [
        "orders.view_purchaseorder",
        "orders.change_purchaseorder",
        "orders.approve_purchaseorder",
        "orders.view_purchaseorderitem",
        "orders.view_purchaseorderstatuschange",
        "orders.view_prebook",
        "orders.view_prebookitem",
        "orders.view_box",
        "sync.view_exchange",
        "sync.view_exchangeattempt",
        *_CATALOGUE_VIEW,
    ],
    SALES: [
        "orders.view_prebook",
        "orders.add_prebook",
        "orders.change_prebook",
        "orders.view_prebookitem",
        "orders.add_prebookitem",
        "orders.change_prebookitem",
        "orders.delete_prebookitem",
        "orders.view_prebookbreakdown",
        "orders.add_prebookbreakdown",
        "orders.change_prebookbreakdown",
        "orders.delete_prebookbreakdown",
        *_CATALOGUE_VIEW,
    ],
    WAREHOUSE: [
        "orders.view_purchaseorder",
        "orders.view_purchaseorderitem",
        "orders.view_box",
        "orders.change_box",
        "labels.view_labelbatch",
        "receiving.view_boxscan",
        "catalog.view_vendor",
        "catalog.view_carrier",
        "catalog.view_boxtype",
        "catalog.view_product",
    ],
    MAPPING: [
        "orders.view_prebook",
        "orders.view_prebookitem",
        "orders.view_purchaseorder",
        "orders.view_purchaseorderitem",
        "mapping.view_vendorproduct",
        "mapping.change_vendorproduct",
        "mapping.view_vendorboxtype",
        "mapping.change_vendorboxtype",
        "mapping.view_vendorcarrier",
        "mapping.change_vendorcarrier",
        "mapping.view_vendorcustomer",
        "mapping.change_vendorcustomer",
        *_CATALOGUE_VIEW,
    ],
}
