"""Images in the editor, in headless Chromium (issue 18): "Insert an image" uploads the
picked image and puts its Markdown line in the text; the posted question shows the thumbnail
(lazy, from our own storage) under the strict CSP, with no console error."""

import re

import pytest
from PIL import Image

from tests.browser_support import PageProblems, require_chromium
from tests.servers import ServerProcess

require_chromium()

from playwright.sync_api import expect  # noqa: E402

pytestmark = [pytest.mark.browser]

PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with ServerProcess(tmp_path_factory.mktemp("browser-attach"),
                       env={"FORUM_RATE_LIMITS": "0"}) as running:
        running.flask("users", "create", "amina", "--email", "amina@example.org",
                      "--password", PASSWORD, "--email-confirmed")
        running.flask("groups", "create", "stock-cards", "--name", "Stock cards",
                      "--region", "Testing")
        yield running


def test_insert_an_image_puts_its_markdown_and_the_post_shows_the_thumbnail(new_context,
                                                                            tmp_path):
    picture = tmp_path / "wall chart.png"
    Image.new("RGB", (900, 600), (20, 120, 200)).save(picture)
    page = new_context().new_page()
    problems = PageProblems(page)
    page.goto("/login")
    page.get_by_label("Username or email", exact=True).fill("amina")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Log in", exact=True).click()
    page.wait_for_url("**/")
    page.goto("/questions/ask")
    page.get_by_label("Title", exact=True).fill("How do you keep the stock wall chart current?")
    body = page.get_by_label("Your question", exact=True)
    body.fill("Our chart:")
    with page.expect_file_chooser() as chooser:
        page.get_by_role("button", name="Insert an image").click()
    chooser.value.set_files(str(picture))
    expect(body).to_have_value(
        re.compile(r"Our chart:\n!\[wall chart\]\(/files/[A-Za-z0-9_-]{24}\)\n"))
    page.get_by_label("Group", exact=True).select_option("stock-cards")
    page.get_by_label("Tags", exact=True).fill("stock-cards")
    page.get_by_role("button", name="Post your question").click()
    image = page.locator("#question .body img")
    expect(image).to_have_attribute("loading", "lazy")
    image.scroll_into_view_if_needed()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0",
                           arg=image.element_handle())
    assert image.evaluate("img => img.naturalWidth") == 320  # the thumbnail, not the image
    assert problems.found == []
