"""The page a person logs in to must open at once: the session has to be committed before the 303 goes out."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from ..conftest import PASSWORD

pytestmark = pytest.mark.browser
LOGINS = 10


def test_the_list_opens_right_after_every_login(browser, live_server):
    """FastAPI runs a yield dependency's exit code (our commit) after the response has been sent unless the
    dependency is declared with scope="function"; a fast browser then follows the redirect before the new
    session row exists and lands on the login page again, with no error. Ten logins, no bounce."""
    bounced = 0
    for _ in range(LOGINS):
        context = browser.new_context(base_url=live_server)
        page = context.new_page()
        page.goto("/login?next=%2Forders")
        page.fill("input[name=login]", "warehouse")
        page.fill("input[name=password]", PASSWORD)
        with page.expect_navigation():
            page.click("button[type=submit]")
        bounced += urlsplit(page.url).path == "/login"
        context.close()
    assert bounced == 0, (f"{bounced} of {LOGINS} logins bounced back to the login page: commit the session before "
                          "redirecting (session.commit() in login_submit, or Depends(db, scope='function'))")
