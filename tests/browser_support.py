"""Plumbing for the browser suites: finding and launching Chromium, watching pages, mail, French.

Kept free of Playwright imports at module level so a test module can call require_chromium()
before it imports Playwright.
"""

import email
import email.policy
import os
import re
import time
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from babel.support import Translations

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
TRANSLATIONS = ROOT / "forum" / "translations"


def require_chromium() -> None:
    """Skip the calling module, with the reason, when Chromium or Playwright is missing.

    With FORUM_REQUIRE_BROWSER=1 (CI that must run the browser suite) it fails instead.
    Call it at module level, before importing Playwright.
    """
    problem = None
    if not CHROMIUM.exists():
        problem = f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)"
    else:
        try:
            import playwright.sync_api  # noqa: F401, PLC0415  (optional: missing, the suite skips)
        except ImportError:
            problem = "the Playwright package is not installed (make install-test)"
    if problem is None:
        return
    if os.environ.get("FORUM_REQUIRE_BROWSER") == "1":
        pytest.fail(f"FORUM_REQUIRE_BROWSER=1 but {problem}", pytrace=False)
    pytest.skip(f"browser suite skipped: {problem}", allow_module_level=True)


def launch_chromium(playwright):
    """The system Chromium, headless, with the flags that keep it quiet and quick in CI."""
    return playwright.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=LAUNCH_ARGS
    )


class PageProblems:
    """Collects console errors (CSP violations are reported there) and uncaught exceptions."""

    def __init__(self, page):
        self.found: list[str] = []
        page.on("console", self._on_console)
        page.on("pageerror", lambda error: self.found.append(f"{page.url}: uncaught {error}"))
        self._page = page

    def _on_console(self, message) -> None:
        if message.type == "error":
            where = message.location.get("url") or self._page.url
            self.found.append(f"{where}: {message.text}")


# Elements sticking out past `width`, for a useful failure message.
_OVERFLOW_JS = r"""(width) => {
  const wide = [...document.querySelectorAll('body *')].filter((el) => {
    const box = el.getBoundingClientRect();
    return box.right > width + 0.5 || box.left + el.scrollWidth > width + 0.5;
  });
  // The innermost culprits: elements with no wide element inside them.
  const culprits = wide.filter((el) => !wide.some((other) => other !== el && el.contains(other)));
  const describe = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
    (typeof el.className === 'string' && el.className.trim()
      ? '.' + el.className.trim().split(/\s+/).join('.') : '') +
    ' "' + (el.textContent || '').trim().slice(0, 40) + '"';
  return {
    scrollWidth: Math.max(document.documentElement.scrollWidth, document.body.scrollWidth),
    innerWidth: window.innerWidth,
    wide: culprits.slice(0, 10).map(describe),
  };
}"""


def horizontal_overflow(page, width: int) -> dict:
    """scrollWidth and innerWidth of the page, and the first elements reaching past `width`.

    On a phone (is_mobile) a page wider than the screen is zoomed out, so innerWidth grows
    with it: compare with the screen width too, not only scrollWidth <= innerWidth.
    """
    return page.evaluate(_OVERFLOW_JS, width)


def newest_mail(outbox: Path, *, timeout: float = 5.0):
    """The newest .eml in the outbox, parsed; waits a little for the server to write it."""
    deadline = time.monotonic() + timeout
    while True:
        files = sorted(outbox.glob("*.eml"), key=lambda p: p.stat().st_mtime_ns) if (
            outbox.exists()) else []
        if files:
            return email.message_from_bytes(files[-1].read_bytes(), policy=email.policy.default)
        if time.monotonic() > deadline:
            raise AssertionError(f"no mail in {outbox} after {timeout}s")
        time.sleep(0.1)


def mail_to(outbox: Path, address: str, *, timeout: float = 10.0):
    """The newest .eml in the outbox addressed to `address`, parsed; waits for the server
    (whose mail worker writes it a moment after the answer)."""
    deadline = time.monotonic() + timeout
    while True:
        files = sorted(outbox.glob("*.eml"), key=lambda p: p.stat().st_mtime_ns,
                       reverse=True) if outbox.exists() else []
        for path in files:
            message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            if message["To"] == address:
                return message
        if time.monotonic() > deadline:
            raise AssertionError(f"no mail to {address} in {outbox} after {timeout}s")
        time.sleep(0.1)


def link_in(message, pattern: str = r"https?://\S+") -> str:
    """The first link in a mail's text body."""
    body = message.get_body(preferencelist=("plain",)).get_content()
    match = re.search(pattern, body)
    assert match, f"no link matching {pattern!r} in the mail:\n{body}"
    return match.group(0)


class FrenchStrings:
    """The French interface strings: what messages.po says and what the server can show.

    The server shows the compiled catalog (messages.mo, built by `make translations`);
    the .po is the source. `t(msgid)` is what a French page shows for msgid (the English
    text while a string is untranslated).
    """

    def __init__(self) -> None:
        po_path = TRANSLATIONS / "fr" / "LC_MESSAGES" / "messages.po"
        self.source: dict[str, str] = {}
        if po_path.exists():
            with open(po_path, "rb") as fh:
                catalog = read_po(fh, locale="fr")
            for message in catalog:
                if (message.id and isinstance(message.id, str) and message.string
                        and not message.fuzzy):
                    self.source[message.id] = message.string
        self.compiled = Translations.load(str(TRANSLATIONS), ["fr"], domain="messages")

    def t(self, msgid: str, **values) -> str:
        text = self.compiled.gettext(msgid)
        return text % values if values else text

    def not_compiled(self, msgids) -> list[str]:
        """Strings translated in the .po that the compiled catalog does not show yet."""
        return [m for m in msgids
                if m in self.source and self.compiled.gettext(m) != self.source[m]]


DESKTOP = {"width": 1280, "height": 800}


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium per test module (import this fixture into the module)."""
    from playwright.sync_api import sync_playwright  # noqa: PLC0415  (optional: require_chromium)

    with sync_playwright() as playwright:
        launched = launch_chromium(playwright)
        yield launched
        launched.close()


@pytest.fixture
def new_context(browser, server):
    """Open a browser context on the module's `server` (English, desktop size unless told)."""
    opened = []

    def make(**options):
        options.setdefault("base_url", server.url)
        options.setdefault("locale", "en-US")
        options.setdefault("viewport", DESKTOP)
        context = browser.new_context(**options)
        context.set_default_timeout(10_000)
        opened.append(context)
        return context

    yield make
    for context in opened:
        context.close()
