"""Paths under /api/ that name no implemented method get Komet's envelope with HTTP 404."""

import json

import pytest
from django.test import Client

from sync.models import Exchange

pytestmark = pytest.mark.django_db

LISTED_AT = "The methods this portal implements are listed at /api/docs/."


@pytest.fixture
def client_() -> Client:
    # Enforce CSRF checks, which a real client meets and the test client skips by default.
    return Client(enforce_csrf_checks=True)


def assert_not_found(response, message: str) -> None:
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"status": 0, "message": message}


def test_unknown_method_post(client_, company_api):
    response = client_.post(
        "/api/foo.bar",
        data=json.dumps({"authenticationToken": company_api.token}),
        content_type="application/json",
    )

    assert_not_found(response, f"Method 'foo.bar' not found. {LISTED_AT}")
    assert Exchange.objects.count() == 0


@pytest.mark.parametrize("verb", ["get", "put", "patch", "delete"])
def test_unknown_method_any_verb(client_, verb):
    response = getattr(client_, verb)("/api/foo.bar")

    assert_not_found(response, f"Method 'foo.bar' not found. {LISTED_AT}")


@pytest.mark.parametrize("path", ["/api/", "/api"])
@pytest.mark.parametrize("verb", ["get", "post"])
def test_api_root_names_no_method(client_, path, verb):
    response = getattr(client_, verb)(path)

    assert_not_found(
        response,
        "API method missing from the URL: call /api/<method name>, such as "
        f"/api/purchase.order.list. {LISTED_AT}",
    )


@pytest.mark.parametrize(
    "method", ["multiple.prebooks.create", "purchase.order.item.confirm", "box.position.change"]
)
def test_komet_method_not_implemented(client_, method):
    response = client_.post(f"/api/{method}", data="{}", content_type="application/json")

    assert_not_found(
        response,
        f"Method {method!r} not found: it is a Komet Sales API method that this portal "
        f"does not implement. {LISTED_AT}",
    )


def test_trailing_slash_names_the_method(client_):
    response = client_.post("/api/prebook.create/", data="{}", content_type="application/json")

    assert_not_found(
        response,
        "Method 'prebook.create/' not found: call /api/prebook.create without the trailing slash.",
    )


def test_long_method_name_shortened(client_):
    response = client_.get("/api/" + "x" * 500)

    message = response.json()["message"]
    assert response.status_code == 404
    assert message.startswith("Method 'xxx")
    assert len(message) < 150


def test_implemented_method_unchanged(client_, company_api):
    response = client_.get("/api/boxtype.list", {"authenticationToken": company_api.token})

    assert response.status_code == 200
    assert response.json()["status"] == 1


@pytest.mark.parametrize(
    ("path", "target"), [("/api/docs", "/api/docs/"), ("/api/schema", "/api/schema/")]
)
def test_pages_without_slash_redirect(client_, path, target):
    response = client_.get(path)

    assert response.status_code == 301
    assert response["Location"] == target


def test_docs_and_schema_still_served(client_):
    docs = client_.get("/api/docs/")
    schema = client_.get("/api/schema/", {"format": "json"})

    assert docs.status_code == 200
    assert "redoc" in docs.content.decode()
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert "/api/prebook.create" in paths
    assert not any("method" in path or path in ("/api/", "/api") for path in paths)
