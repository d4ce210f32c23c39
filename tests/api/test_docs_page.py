"""The API reference page works offline: every script and style comes from the portal."""

import re

import pytest


@pytest.mark.django_db
def test_docs_page_loads_nothing_from_other_hosts(client):
    response = client.get("/api/docs/")

    html = response.content.decode()
    assert response.status_code == 200
    assert "/static/drf_spectacular_sidecar/redoc/bundles/redoc.standalone.js" in html
    assert re.findall(r"""(?:src|href)=["'](https?://[^"']+)""", html) == []
