"""/api/docs/ in a browser: under the site's CSP nothing is refused, and axe-core finds no
serious or critical problem."""

import pytest

from tests.browser.axe import violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_api_documentation_loads_under_the_csp_with_no_serious_axe_finding(page, places):
    refused = []
    page.on("console", lambda m: refused.append(m.text) if "Content Security" in m.text else None)
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', e => "
        "console.error('Content Security Policy: ' + e.violatedDirective + ' ' + e.blockedURI))"
    )
    response = page.goto(page.base_url + "/api/docs/")
    assert response.status == 200
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert page.get_by_text("/open311/v2/requests/{service_request_id}").first.is_visible()
    assert page.get_by_text("/api/hotline/{partner_id}/").first.is_visible()
    assert refused == []
    assert violations(page) == []
