"""The API reference describes every input field with its meaning and Komet type."""

import json

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.fixture
def schema() -> dict:
    response = Client().get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return json.loads(response.content)


def _request_properties(schema: dict, operation: dict) -> dict:
    body = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
    reference = body.get("schema", {}).get("$ref", "")
    if not reference:
        return {}
    return schema["components"]["schemas"][reference.rsplit("/", 1)[-1]]["properties"]


def test_query_parameters_described(schema):
    described = 0
    for path, operations in schema["paths"].items():
        for verb, operation in operations.items():
            for parameter in operation.get("parameters", []):
                name = parameter["name"]
                if name in ("authenticationToken", "Idempotency-Key", "username", "password"):
                    continue
                description = parameter.get("description", "")
                assert "Type " in description, (path, verb, name, description)
                described += 1
    assert described > 50


def test_body_fields_described(schema):
    described = 0
    for path, operations in schema["paths"].items():
        for verb, operation in operations.items():
            for name, field in _request_properties(schema, operation).items():
                description = field.get("description", "")
                assert "Type " in description, (path, verb, name, description)
                described += 1
    assert described > 20


def test_purchase_order_list_parameter_text(schema):
    operation = schema["paths"]["/api/purchase.order.list"]["get"]
    parameters = {p["name"]: p["description"] for p in operation["parameters"]}
    assert parameters["number"].endswith("Type string:200. Optional.")
    assert "details[] holds only the matching lines" in parameters["purchaseOrderItemIds"]
    assert parameters["dateFrom"].endswith("Type date, YYYY-MM-DD. Optional.")


def test_prebook_create_flag_default(schema):
    operation = schema["paths"]["/api/prebook.create"]["post"]
    fields = _request_properties(schema, operation)
    assert fields["useExisting"]["description"].endswith(
        "Type integer:1, 1 or 0. Optional, default 0."
    )
    assert fields["shipDate"]["description"].startswith("Truck date")
    assert fields["shipDate"]["description"].endswith("Required.")
