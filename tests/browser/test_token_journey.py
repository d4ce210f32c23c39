"""An admin issues an API token in the browser. The plaintext is shown once, and later
pages show only its prefix. Staff outside the Admin role get no token pages.

This journey needs no worker and no farm, because issuing a token is synchronous and the
test calls the live server's API with the token directly.
"""

import pytest
import requests
from playwright.sync_api import expect

from catalog.models import Vendor
from demo.seed import DEMO_VENDOR, load_catalog
from tests.browser.conftest import screenshot
from tokens.models import ApiToken

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_admin_issues_token_seen_once(browser_sessions, admin_user, procurement_user, live_server):
    load_catalog()
    vendor = Vendor.objects.get(code=DEMO_VENDOR)

    page = browser_sessions.open(admin_user.username)
    page.get_by_role("link", name="API tokens").first.click()
    expect(page.locator("h1")).to_contain_text("API token")
    page.get_by_role("link", name="Add API token").click()

    page.select_option("#id_token_type", "vendor")
    page.select_option("#id_vendor", str(vendor.pk))
    page.fill("#id_description", "Rosaflor Axerrio, production")
    page.select_option("#id_preset", "axerrio")
    with page.expect_response(lambda response: "/created/" in response.url) as created:
        page.click("input[name=_save]")
    # The add form redirects to the one page that shows the plaintext; browsers must not keep it.
    assert created.value.request.method == "GET"
    assert "no-store" in created.value.headers.get("cache-control", "")

    token_field = page.locator("#api-token")
    expect(token_field).to_be_visible()
    plaintext = token_field.input_value()
    token = ApiToken.objects.get(description="Rosaflor Axerrio, production")
    assert plaintext.startswith(token.prefix)
    assert len(plaintext) > len(token.prefix) + 16
    expect(page.locator("#content-main")).to_contain_text("only place it is shown")
    screenshot(page, "token-created", docs=True, mask=[token_field])

    # A reload shows that the token was already shown, and issues no second token.
    page.reload()
    expect(page.locator("#token-already-shown")).to_be_visible()
    assert plaintext not in page.content()
    assert ApiToken.objects.filter(description="Rosaflor Axerrio, production").count() == 1

    # The token works: the farm's system can list carriers with it.
    answer = requests.get(
        f"{live_server.url}/api/carrier.list",
        params={"authenticationToken": plaintext},
        timeout=10,
    )
    assert answer.status_code == 200
    assert answer.json()["status"] == 1

    # A second look shows the prefix and never the secret.
    page.get_by_role("link", name="View the token").click()
    expect(page.locator(".field-prefix_display")).to_contain_text(f"{token.prefix}…")
    assert plaintext not in page.content()
    page.goto("/admin/tokens/apitoken/")
    expect(page.locator("#result_list")).to_contain_text(f"{token.prefix}…")
    assert plaintext not in page.content()
    screenshot(page, "token-list", docs=True)

    outsider = browser_sessions.open(procurement_user.username)
    expect(outsider.locator("#content-main")).not_to_contain_text("API tokens")
    for path in ("/admin/tokens/apitoken/", "/admin/tokens/apitoken/add/",
                 f"/admin/tokens/apitoken/{token.pk}/change/"):
        response = outsider.goto(path)
        assert response.status == 403, f"{path} returned HTTP {response.status} to a non-admin"
