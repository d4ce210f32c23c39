"""The API methods a token can be granted, and which token types may call each.

Kept apart from the API's implementation so the token admin and the issue_token command
can list them without importing the views.
"""

# The methods Komet grants an Axerrio vendor token.
AXERRIO_METHODS = [
    "box.code.change",
    "prebook.create",
    "prebook.item.delete",
    "purchase.order.create",
    "purchase.order.items.awb.add",
    "purchase.order.item.delete",
    "purchase.order.mixed.create",
    "purchase.order.list",
    "boxtype.list",
    "carrier.list",
    "prebook.details.list",
]

COMPANY_ONLY_METHODS = [
    "login",
    "prebook.list",
    "prebook.delete",
    "vendor.list",
    "box.warehouse.receive",
]

# Valid for both company and vendor tokens, beyond the Axerrio set.
SHARED_EXTRA_METHODS = [
    "customer.list",
    "product.list",
    "purchase.order.item.awb.add",
]


def all_method_names() -> list[str]:
    return AXERRIO_METHODS + SHARED_EXTRA_METHODS + COMPANY_ONLY_METHODS


def token_types_for(method: str) -> set[str]:
    if method in COMPANY_ONLY_METHODS:
        return {"company"}
    return {"company", "vendor"}
