"""Security and caching headers, set for every response in one place (``api.middleware.headers``):
pages
(the index, the consumer page, verify.html, /docs) carry a Content-Security-Policy that runs
no inline script and cannot be framed; every response says nosniff and no-referrer; whatever
answers a token — private values, a new token — is never stored by a browser or a proxy."""

from __future__ import annotations

import pytest

from tests.api.test_http_helpers import (  # noqa: F401 - fixtures
    ADMIN,
    Api,
    api_fixture,
    harvest_body,
    log_key_file_fixture,
)
from tests.journeys import COOP

BROWSER = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}


def _directives(policy: str) -> dict[str, str]:
    return {part.strip().split(" ", 1)[0]: part.strip().partition(" ")[2]
            for part in policy.split(";") if part.strip()}


@pytest.mark.parametrize("path", ["/", "/static/verify.html", "/docs", "/lots/KH1/page",
                                  "/lots/NOPE/page"])
def test_every_page_has_a_policy_that_runs_no_inline_script_and_cannot_be_framed(
        api: Api, path: str) -> None:
    api.ok(api.post(COOP, "/lots/KH1/harvest", harvest_body()))
    page = api.client.get(path, headers=BROWSER)
    assert page.headers["content-type"].startswith("text/html"), page.text[:200]
    policy = _directives(page.headers["Content-Security-Policy"])
    assert policy["default-src"] == "'self'"
    assert policy["script-src"] == "'self'"  # no 'unsafe-inline', no other origin
    assert policy["frame-ancestors"] == "'none'"
    assert policy["object-src"] == "'none'"
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert page.headers["Referrer-Policy"] == "no-referrer"


@pytest.mark.parametrize("path", ["/lots/KH1", "/log/key", "/healthz", "/no/such/path"])
def test_every_response_says_nosniff_and_no_referrer(api: Api, path: str) -> None:
    api.ok(api.post(COOP, "/lots/KH1/harvest", harvest_body()))
    response = api.client.get(path)
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "no-store" not in response.headers.get("Cache-Control", "")  # public: cacheable


def test_private_values_and_tokens_are_never_stored(api: Api) -> None:
    api.ok(api.post(COOP, "/lots/KH1/harvest", harvest_body()))
    private = api.get(COOP, "/lots/KH1/private")
    assert private.status_code == 200
    assert "HH-001" in private.text
    assert private.headers["Cache-Control"] == "no-store"
    issued = api.post(ADMIN, f"/orgs/{COOP}/tokens", {"label": "phone"})
    assert issued.status_code == 201
    assert issued.headers["Cache-Control"] == "no-store"
    listed = api.get(ADMIN, f"/orgs/{COOP}/tokens")
    assert listed.headers["Cache-Control"] == "no-store"
    refused = api.get(None, "/lots/KH1/private")
    assert refused.status_code == 401
