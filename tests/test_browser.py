"""Account journeys in headless Chromium against one real `python wsgi.py` process.

One server (demo seeded, rate limits ON) and one browser per module; a fresh browser context
per test. Registrations stay well under the per-IP limit (10/minute): this module registers
4 accounts; the other journeys log in as demo users (password tacit-demo-2026), a different
one in each test, since some change their account.
"""

import re
from dataclasses import dataclass

import pytest

from tests.browser_support import (
    FrenchStrings,
    PageProblems,
    horizontal_overflow,
    link_in,
    mail_to,
    require_chromium,
)
from tests.servers import ServerProcess

require_chromium()

from playwright.sync_api import expect  # noqa: E402

pytestmark = [pytest.mark.browser]

DEMO_PASSWORD = "tacit-demo-2026"
PHONE = {"width": 360, "height": 740}


@dataclass
class Person:
    username: str
    display_name: str
    email: str
    password: str


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with ServerProcess(tmp_path_factory.mktemp("browser"), env={"FORUM_RATE_LIMITS": "1"},
                       seed_demo=True) as running:
        yield running






@pytest.fixture
def page(new_context):
    return new_context().new_page()


def english(msgid: str, **values) -> str:
    return msgid % values if values else msgid


# Steps, written once for any language: `t` gives the interface text for an English msgid.

def header(page):
    return page.get_by_role("banner")


def register(page, person: Person, outbox, t=english) -> None:
    """Fill in the form, then open the link mailed to the address and create the account."""
    header(page).get_by_role("link", name=t("Register"), exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(t("Create your account"))
    page.get_by_label(t("Username"), exact=True).fill(person.username)
    page.get_by_label(t("Display name (optional)"), exact=True).fill(person.display_name)
    page.get_by_label(t("Email"), exact=True).fill(person.email)
    page.get_by_label(t("Password"), exact=True).fill(person.password)
    page.get_by_role("button", name=t("Register"), exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(t("Check your email"))
    expect(page.get_by_role("main")).to_contain_text(person.email)
    page.goto(link_in(mail_to(outbox, person.email), r"https?://\S+/register/confirm/\S+"))
    expect(page.get_by_role("heading", level=1)).to_have_text(t("Create your account"))
    page.get_by_role("button", name=t("Create my account"), exact=True).click()
    expect_logged_in_as(page, person.display_name, t)


def choose_language(page, language: str) -> None:
    """The footer switch (found by role, so it works whatever the page's language)."""
    footer = page.get_by_role("contentinfo")
    footer.get_by_role("combobox").select_option(label=language)
    footer.get_by_role("button").click()


def log_in(page, login: str, password: str, t=english) -> None:
    header(page).get_by_role("link", name=t("Log in"), exact=True).click()
    page.get_by_label(t("Username or email"), exact=True).fill(login)
    page.get_by_label(t("Password"), exact=True).fill(password)
    page.get_by_role("button", name=t("Log in"), exact=True).click()


def log_out(page, t=english, then=None) -> None:
    """Click "Log out" in language t; `then` is the language of the page it leads to."""
    then = then or t
    header(page).get_by_role("button", name=t("Log out"), exact=True).click()
    expect(page.get_by_role("status")).to_contain_text(then("You are logged out."))
    expect(header(page).get_by_role("link", name=then("Log in"), exact=True)).to_be_visible()
    expect(header(page).get_by_role("button")).to_have_count(0)


def expect_logged_in_as(page, name: str, t=english) -> None:
    expect(header(page).get_by_role("link", name=name, exact=True)).to_be_visible()
    expect(header(page).get_by_role("button", name=t("Log out"), exact=True)).to_be_visible()


def change_password(page, current: str, new: str) -> None:
    page.goto("/account")
    page.get_by_label("Current password", exact=True).fill(current)
    page.get_by_label("New password", exact=True).fill(new)
    page.get_by_role("button", name="Change password", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("Your password is changed.")


def test_a_visitor_registers_sees_their_name_logs_out_and_logs_back_in_with_the_username(
        page, server):
    awa = Person("awa_traore", "Awa Traoré", "awa.traore@example.org",
                 "mango rains over bamako")
    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    register(page, awa, server.outbox)
    expect(page.get_by_role("status")).to_contain_text("Welcome to Tacit, Awa Traoré!")
    log_out(page)

    log_in(page, awa.username, awa.password)
    expect(page).to_have_url(re.compile(r"/$"))
    expect_logged_in_as(page, awa.display_name)
    expect(page.get_by_role("main")).to_contain_text(f"Welcome back, {awa.display_name}.")
    log_out(page)


# The strings the French journey shows or uses to find things.
FRENCH_JOURNEY_STRINGS = [
    "Create your account", "Username", "Display name (optional)", "Email", "Password",
    "Register", "Log in", "Log out", "Username or email", "Welcome to Tacit, %(name)s!",
    "You are logged out.", "Language", "Check your email", "Create my account",
]


@pytest.fixture
def french():
    """What French pages show; fails when messages.po is ahead of the compiled catalog."""
    strings = FrenchStrings()
    stale = strings.not_compiled(FRENCH_JOURNEY_STRINGS)
    assert not stale, (
        f"messages.po translates strings the compiled catalog lacks: {stale}. "
        "Run `make translations` (pybabel compile -d forum/translations).")
    return strings.t


def test_a_french_speaker_switches_the_language_in_the_footer_registers_and_logs_in(
        new_context, french, server):
    t = french
    fatim = Person("fatim_kone", "Fatim Koné", "fatim.kone@example.org",
                   "karité sous le baobab")
    page = new_context(locale="en-US").new_page()  # an English browser: the footer decides
    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", "en")

    choose_language(page, "Français")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_role("contentinfo").get_by_label(t("Language"))).to_have_value("fr")

    # register() finds the French heading, labels and button, then the name in the header.
    register(page, fatim, server.outbox, t)
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    # Logging out keeps the footer choice.
    log_out(page, t, then=t)
    expect(page.locator("html")).to_have_attribute("lang", "fr")

    log_in(page, fatim.username, fatim.password, t)
    expect_logged_in_as(page, fatim.display_name, t)
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    log_out(page, t)


def test_registering_in_french_welcomes_the_new_member_in_french(new_context, french, server):
    mariam = Person("mariam_sawadogo", "Mariam Sawadogo", "mariam.sawadogo@example.org",
                    "pluie sur ouagadougou ce matin")
    page = new_context(locale="en-US").new_page()
    page.goto("/")
    choose_language(page, "Français")
    register(page, mariam, server.outbox, french)
    expect(page.get_by_role("status")).to_have_text(
        french("Welcome to Tacit, %(name)s!", name=mariam.display_name), timeout=2_000)


def test_logging_out_keeps_the_language_chosen_in_the_footer(new_context, french):
    page = new_context(locale="en-US").new_page()
    page.goto("/")
    choose_language(page, "Français")
    log_in(page, "amina", DEMO_PASSWORD, french)  # a French-speaking demo account
    expect_logged_in_as(page, "Dr Amina Diallo", french)
    header(page).get_by_role("button", name=french("Log out"), exact=True).click()
    expect(page.get_by_role("status")).to_have_text(french("You are logged out."),
                                                    timeout=2_000)
    expect(page.locator("html")).to_have_attribute("lang", "fr", timeout=2_000)


def test_on_a_phone_the_home_register_login_and_account_pages_do_not_scroll_sideways(
        new_context):
    page = new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()

    def assert_fits(what: str) -> None:
        found = horizontal_overflow(page, PHONE["width"])
        assert found["scrollWidth"] <= found["innerWidth"] == PHONE["width"], (
            f"the {what} page is wider than the phone: {found}")

    page.goto("/")
    assert_fits("home")
    page.goto("/register")
    assert_fits("register")
    page.goto("/login")
    assert_fits("login")
    # Logged in, the header holds the member's name and the "Log out" button too.
    log_in(page, "achieng", DEMO_PASSWORD)
    expect_logged_in_as(page, "Achieng Odhiambo")
    assert_fits("home, logged in")
    page.goto("/account")
    assert_fits("account")


def test_without_javascript_a_member_registers_logs_in_and_changes_the_password(new_context,
                                                                                 server):
    context = new_context(java_script_enabled=False)
    page = context.new_page()
    kwame = Person("kwame_asante", "Kwame Asante", "kwame.asante@example.org",
                  "cocoa harvest in kumasi")
    new_password = "harmattan wind brings dust"
    page.goto("/")
    register(page, kwame, server.outbox)
    log_out(page)
    log_in(page, kwame.username, kwame.password)
    expect_logged_in_as(page, kwame.display_name)

    change_password(page, kwame.password, new_password)
    expect_logged_in_as(page, kwame.display_name)  # this browser stays logged in
    log_out(page)
    log_in(page, kwame.email, new_password)
    expect_logged_in_as(page, kwame.display_name)


def test_a_member_resets_a_forgotten_password_with_the_link_from_the_mail(page, server):
    # A demo account used by no other test here: its password changes.
    joseph = Person("joseph", "Joseph Mwangi", "joseph@demo.tacit", DEMO_PASSWORD)
    new_password = "lake victoria morning ferry"
    page.goto("/login")
    page.get_by_role("link", name="Forgot your password?").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Forgot your password?")
    page.get_by_label("Email", exact=True).fill(joseph.email)
    page.get_by_role("button", name="Send the link").click()
    expect(page.get_by_role("status")).to_contain_text("we have sent it a link")

    mail = mail_to(server.outbox, joseph.email)  # registrations here mailed others before
    assert mail["Subject"] == "Reset your Tacit password"
    link = link_in(mail, r"https?://\S+/password/reset/\S+")
    assert link.startswith(server.url), link

    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose a new password")
    page.get_by_label("New password", exact=True).fill(new_password)
    page.get_by_role("button", name="Save the new password").click()
    expect(page.get_by_role("status")).to_contain_text(
        "Your password is changed. Log in with the new one.")

    log_in(page, joseph.username, joseph.password)  # the old password no longer works
    expect(page.get_by_role("status")).to_contain_text("Wrong username, email or password.")
    expect(header(page).get_by_role("button", name="Log out")).to_have_count(0)
    log_in(page, joseph.username, new_password)
    expect_logged_in_as(page, joseph.display_name)

    page.goto(link)  # a link works once
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "This link is not valid any more")


MAIN_PAGES = ["/", "/login", "/register", "/password/forgot"]
MEMBER_PAGES = ["/", "/account", "/account/delete"]


def test_the_main_pages_log_no_console_errors_and_no_content_security_policy_violations(
        page):
    problems = PageProblems(page)
    visited = []
    for path in MAIN_PAGES:
        page.goto(path)
        visited.append(page.url)
    log_in(page, "siti", DEMO_PASSWORD)
    expect_logged_in_as(page, "Siti Rahmawati")
    for path in MEMBER_PAGES:
        page.goto(path)
        visited.append(page.url)
    page.goto("/")  # a last navigation flushes late reports from the previous page
    assert problems.found == [], f"visited {visited}"


def test_the_skip_link_is_the_first_thing_the_keyboard_reaches_and_jumps_to_the_content(
        page):
    page.goto("/")
    page.keyboard.press("Tab")
    focused = page.evaluate(
        "() => ({text: document.activeElement.textContent.trim(),"
        " href: document.activeElement.getAttribute('href'),"
        " left: document.activeElement.getBoundingClientRect().left})")
    assert focused["text"] == "Skip to content", focused
    assert focused["href"] == "#main", focused
    assert focused["left"] >= 0, f"the focused skip link is off screen: {focused}"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
