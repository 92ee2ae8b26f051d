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
            import playwright.sync_api  # noqa: F401
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


# Elements sticking out to the right, for a useful failure message.
_OVERFLOW_JS = """() => {
  const width = window.innerWidth;
  const wide = [];
  for (const el of document.querySelectorAll('body *')) {
    const box = el.getBoundingClientRect();
    if (box.right > width + 0.5) {
      const name = el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
        (el.className && typeof el.className === 'string' ? '.' + el.className.split(' ').join('.') : '');
      wide.push(name + ' right=' + Math.round(box.right));
    }
  }
  return {
    scrollWidth: Math.max(document.documentElement.scrollWidth, document.body.scrollWidth),
    innerWidth: width,
    wide: wide.slice(0, 10),
  };
}"""


def horizontal_overflow(page) -> dict:
    """scrollWidth, innerWidth and the first elements wider than the window."""
    return page.evaluate(_OVERFLOW_JS)


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
        from babel.messages.pofile import read_po
        from babel.support import Translations

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

    def untranslated(self, msgids) -> list[str]:
        return [m for m in msgids if m not in self.source]

    def not_compiled(self, msgids) -> list[str]:
        """Strings translated in the .po that the compiled catalog does not show yet."""
        return [m for m in msgids
                if m in self.source and self.compiled.gettext(m) != self.source[m]]
