"""The chat journey in headless Chromium: two people chat live in a group room, one drops
off the network and comes back missing nothing, a message left unsent at a reload still goes
once, a stretch of chat becomes a question, and the room works without JavaScript.

One `python wsgi.py` server per module (demo seeded, rate limits off) and one browser; a
browser context per person. Playwright's set_offline does not cut open WebSockets, so the
page's script drops its socket on the browser's `offline` event, as it would on a phone.
"""

import re

import pytest
import requests

from tests.browser_support import PageProblems, horizontal_overflow, require_chromium
from tests.servers import ServerProcess

require_chromium()

from playwright.sync_api import expect  # noqa: E402

pytestmark = [pytest.mark.browser]

DEMO_PASSWORD = "tacit-demo-2026"
GROUP, GROUP_NAME = "chat-journeys", "Chat journeys"
SOCKET_URL = re.compile(r"^(http|ws)://[^/]+/socket\.io/")  # not the vendored script
# What a lossy connection swallows: send_message acks and chat_message events.
LOST = re.compile(r'^4(3/chat,\d+\[\{"ok": ?true, ?"message":|2/chat,\["chat_message")')
PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with ServerProcess(tmp_path_factory.mktemp("browser-chat"),
                       env={"FORUM_RATE_LIMITS": "0"}, seed_demo=True) as running:
        running.flask("groups", "create", GROUP, "--name", GROUP_NAME, "--region", "Testing")
        for username in ("kofi", "joseph", "achieng"):
            running.flask("groups", "add-member", GROUP, username)
        yield running


# -- steps ----------------------------------------------------------------------------------


def log_in(page, username: str) -> None:
    page.goto("/login")
    page.get_by_label("Username or email", exact=True).fill(username)
    page.get_by_label("Password", exact=True).fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in", exact=True).click()
    expect(page.get_by_role("banner").get_by_role("button", name="Log out")).to_be_visible()


def open_room(page, *, wait: str | None = "live") -> None:
    """From the header's Chat link to the group's room, then until the page is `wait`:
    "live" (joined over the socket), "script" (chat.js runs, connected or not) or None."""
    page.get_by_role("banner").get_by_role("link", name="Chat", exact=True).click()
    page.get_by_role("main").get_by_role("link", name=GROUP_NAME, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(GROUP_NAME)
    if wait == "live":
        expect(page.locator("#chat")).to_have_attribute("data-live", "on")
    elif wait == "script":  # chat.js has taken over the composer, connected or not
        expect(page.locator("#chat")).to_have_class(re.compile(r"\blive\b"))


def person(new_context, username: str, **options):
    page = new_context(**options).new_page()
    problems = PageProblems(page)
    log_in(page, username)
    return page, problems


def send(page, text: str) -> None:
    page.get_by_label("Message", exact=True).fill(text)
    page.get_by_role("button", name="Send", exact=True).click()


def log_texts(page) -> list[str]:
    """The text of every message the page shows, in order (the pending ones left out)."""
    return [t.strip() for t in page.locator("#chat-log > li .body").all_inner_texts()]


def shows_once(page, text: str) -> None:
    expect(page.locator("#chat-log > li .body", has_text=text)).to_have_count(1)


def unsent(page):
    return page.locator("#chat-pending > li")


def fits_phone(page) -> None:
    overflow = horizontal_overflow(page, 360)
    assert overflow["scrollWidth"] <= 360 and overflow["innerWidth"] <= 360, overflow


def no_problems(*watched) -> None:
    found = [problem for p in watched for problem in p.found]
    assert found == [], found


# -- the journeys ---------------------------------------------------------------------------


def test_two_people_chat_live_and_the_one_who_went_offline_misses_nothing(new_context):
    kofi, kofi_problems = person(new_context, "kofi")
    joseph, joseph_problems = person(new_context, "joseph", **PHONE)
    open_room(kofi)
    open_room(joseph)
    expect(kofi.locator("#chat-status")).to_contain_text("joseph")

    send(kofi, "Morning! Did the implant delivery reach Tamale?")
    shows_once(joseph, "Did the implant delivery reach Tamale?")
    shows_once(kofi, "Did the implant delivery reach Tamale?")
    joseph.get_by_label("Message", exact=True).press_sequentially("Yes, ", delay=20)
    expect(kofi.locator("#chat-typing")).to_have_text("joseph is typing…")
    send(joseph, "Yes, **40 sets** arrived on Monday, see "
         "https://example.org/deliveries/2026/tamale-region/implants/jadelle-and-implanon-nxt")
    expect(kofi.locator("#chat-log strong", has_text="40 sets")).to_have_count(1)

    kofi.context.set_offline(True)
    expect(kofi.locator("#chat")).to_have_attribute("data-live", "off")
    expect(kofi.locator("#chat-status")).to_contain_text("Offline")
    missed = [f"While you were away, note {n}." for n in range(1, 4)]
    for text in missed:
        send(joseph, text)
        shows_once(joseph, text)
    send(kofi, "Sent from the road with no signal.")
    expect(unsent(kofi)).to_have_count(1)
    expect(unsent(kofi)).to_contain_text("sending…")
    kofi.wait_for_timeout(300)
    expect(joseph.locator("#chat-log", has_text="no signal")).to_have_count(0)

    kofi.context.set_offline(False)
    expect(kofi.locator("#chat")).to_have_attribute("data-live", "on")
    for text in [*missed, "Sent from the road with no signal."]:
        shows_once(kofi, text)
        shows_once(joseph, text)
    expect(unsent(kofi)).to_have_count(0)
    kofi.wait_for_timeout(500)  # a late duplicate would show now
    assert log_texts(kofi) == log_texts(joseph)
    assert len(log_texts(kofi)) == len(set(log_texts(kofi))) == 6
    # What the server stored is what both pages show, in the same order.
    kofi.reload()
    expect(kofi.locator("#chat")).to_have_attribute("data-live", "on")
    assert log_texts(kofi) == log_texts(joseph)
    assert kofi.evaluate("Object.keys(localStorage).filter((k) => localStorage.getItem(k))"
                         ".length") == 0

    # On a 360 px phone nothing sticks out, long links included.
    fits_phone(joseph)
    joseph.locator("#chat-log > li", has_text="40 sets").get_by_role(
        "link", name="Turn into a question").click()
    expect(joseph.get_by_label("Title", exact=True)).to_have_value(re.compile(r"^Yes, 40 sets"))
    fits_phone(joseph)
    kofi.goto("/")
    joseph.goto("/")
    no_problems(kofi_problems, joseph_problems)


def test_a_message_unsent_at_a_reload_is_delivered_once_afterwards(new_context):
    achieng, achieng_problems = person(new_context, "achieng")
    open_room(achieng)
    kofi = new_context().new_page()
    log_in(kofi, "kofi")

    # No way through for Kofi's socket, neither WebSocket nor long-polling, until `blocked`
    # is cleared (a WebSocket route cannot be removed: it lets everything through then).
    blocked = True
    kofi.route_web_socket(SOCKET_URL,
                          lambda ws: ws.close() if blocked else ws.connect_to_server())
    kofi.route(SOCKET_URL, lambda route: route.abort())
    open_room(kofi, wait="script")
    text = "Posted while the socket could not connect."
    send(kofi, text)
    expect(unsent(kofi)).to_have_text(re.compile(re.escape(text)))
    kofi.reload()
    expect(unsent(kofi)).to_have_count(1)
    expect(unsent(kofi)).to_contain_text("sending…")

    blocked = False
    kofi.unroute_all()
    kofi.reload()
    expect(kofi.locator("#chat")).to_have_attribute("data-live", "on")
    shows_once(kofi, text)
    shows_once(achieng, text)
    expect(unsent(kofi)).to_have_count(0)
    kofi.reload()
    expect(kofi.locator("#chat")).to_have_attribute("data-live", "on")
    kofi.wait_for_timeout(300)
    shows_once(kofi, text)
    achieng.goto("/")
    no_problems(achieng_problems)


def test_a_message_whose_ack_was_lost_is_not_doubled_by_a_reload(new_context):
    joseph, joseph_problems = person(new_context, "joseph")
    open_room(joseph)
    achieng, achieng_problems = person(new_context, "achieng")

    lossy = True

    def route(ws):
        # While `lossy`, the server's acks and chat_message events never arrive: the
        # message is stored and broadcast, and this page never hears of it.
        server = ws.connect_to_server()
        if lossy:
            server.on_message(lambda message: None if re.match(
                LOST, str(message)) else ws.send(message))

    achieng.route_web_socket(SOCKET_URL, route)
    open_room(achieng)
    text = "Stored, but the acknowledgement got lost."
    send(achieng, text)
    shows_once(joseph, text)
    expect(unsent(achieng)).to_contain_text("sending…")
    lossy = False
    achieng.reload()
    expect(achieng.locator("#chat")).to_have_attribute("data-live", "on")
    achieng.wait_for_timeout(500)
    shows_once(achieng, text)
    expect(unsent(achieng)).to_have_count(0)
    shows_once(joseph, text)
    achieng.goto("/")
    joseph.goto("/")
    no_problems(joseph_problems, achieng_problems)


def test_a_stretch_of_chat_becomes_a_question_credited_to_who_said_what(new_context):
    kofi, kofi_problems = person(new_context, "kofi")
    joseph, joseph_problems = person(new_context, "joseph")
    achieng = new_context(java_script_enabled=False).new_page()
    log_in(achieng, "achieng")
    open_room(kofi)
    open_room(joseph)
    open_room(achieng, wait=None)

    question = "How do you keep implants in stock through the rainy season?"
    send(kofi, question)
    shows_once(joseph, question)
    send(joseph, "We pre-position three months of stock before the rains.")
    shows_once(kofi, "pre-position three months")
    # Without JavaScript the page posts a plain form and comes back to the message.
    send(achieng, "Motorbike riders reach the dispensaries the trucks cannot.")
    expect(achieng).to_have_url(re.compile(r"/chat/rooms/\d+#m-\d+$"))
    shows_once(achieng, "Motorbike riders")
    shows_once(kofi, "Motorbike riders")
    send(kofi, "Thanks both!")
    shows_once(joseph, "Thanks both!")

    asked = kofi.locator("#chat-log > li", has_text=question)
    asked.get_by_role("link", name="Turn into a question").click()
    expect(kofi.get_by_role("heading", level=1)).to_have_text(
        "Turn this conversation into a question")
    kofi.get_by_label("Title", exact=True).fill("Keeping implants in stock in the rains")
    kofi.get_by_label("Tags", exact=True).fill("implants supply-chain")
    kofi.locator(".pick", has_text="pre-position").get_by_role("checkbox").check()
    kofi.locator(".pick", has_text="Motorbike riders").get_by_role("checkbox").check()
    kofi.get_by_role("button", name="Create the question").click()

    expect(kofi.get_by_role("heading", level=1)).to_have_text(
        "Keeping implants in stock in the rains")
    expect(kofi.locator(".flashes")).to_contain_text("The conversation is now a question")
    answers = kofi.locator("#answers > article.post")
    expect(answers).to_have_count(2)
    expect(answers.nth(0)).to_contain_text("pre-position three months")
    expect(answers.nth(0).locator(".author")).to_have_text("Joseph Mwangi")
    expect(answers.nth(1)).to_contain_text("Motorbike riders")
    expect(answers.nth(1).locator(".author")).to_have_text("Achieng Odhiambo")
    expect(kofi.locator("#question .author")).to_have_text("Kofi Mensah")
    question_url = kofi.url

    # Joseph's open room marks the stretch live; the question links back to the chat.
    banner = joseph.locator("#chat-log > li", has_text=question).locator(".chat-promoted a")
    expect(banner).to_have_text("Turned into a question")
    expect(joseph.locator("#chat-log > li.promoted")).to_have_count(3)
    expect(joseph.locator("#chat-log > li", has_text="Thanks both!")).not_to_have_class(
        re.compile(r"\bpromoted\b"))
    kofi.get_by_role("link", name="From a chat conversation").click()
    expect(kofi).to_have_url(re.compile(r"/chat/rooms/\d+#m-\d+$"))
    marked = kofi.locator("#chat-log > li", has_text=question).locator(".chat-promoted")
    expect(marked).to_have_text("Turned into a question: Keeping implants in stock in the rains")
    achieng.reload()
    achieng.locator(".chat-promoted a").click()
    expect(achieng).to_have_url(question_url)
    kofi.goto("/")
    joseph.goto("/")
    no_problems(kofi_problems, joseph_problems)


def test_older_messages_load_on_scrolling_up_and_reading_clears_the_unread_count(
        new_context, server):
    with requests.Session() as api:  # closed: a kept-alive socket left open is an error
        token = api.post(f"{server.url}/api/v1/tokens",
                         json={"login": "kofi", "password": DEMO_PASSWORD}).json()["token"]
        api.headers["Authorization"] = f"Bearer {token}"
        room_id = api.post(f"{server.url}/api/v1/chat/direct",
                           json={"username": "achieng"}).json()["id"]
        for n in range(1, 71):
            sent = api.post(f"{server.url}/api/v1/chat/rooms/{room_id}/messages",
                            json={"body": f"Stock count for dispensary {n}."})
            assert sent.status_code == 201, sent.text

    achieng, problems = person(new_context, "achieng")
    achieng.get_by_role("banner").get_by_role("link", name="Chat", exact=True).click()
    listed = achieng.get_by_role("main").get_by_role("listitem").filter(has_text="Kofi Mensah")
    expect(listed).to_contain_text("70 unread")
    listed.get_by_role("link", name="Kofi Mensah").click()
    expect(achieng.locator("#chat")).to_have_attribute("data-live", "on")
    expect(achieng.locator("#chat-log > li")).to_have_count(50)
    achieng.locator("#chat-scroll").evaluate("(el) => { el.scrollTop = 0; }")
    expect(achieng.locator("#chat-log > li")).to_have_count(70)
    expected = [f"Stock count for dispensary {n}." for n in range(1, 71)]
    assert log_texts(achieng) == expected
    expect(achieng.locator("#chat-older")).to_have_count(0)

    achieng.get_by_role("banner").get_by_role("link", name="Chat", exact=True).click()
    expect(listed).not_to_contain_text("unread")
    no_problems(problems)


def test_a_site_moderator_takes_part_openly_and_hides_a_message_live(new_context):
    kofi, kofi_problems = person(new_context, "kofi")
    joseph, joseph_problems = person(new_context, "joseph")
    moderator, moderator_problems = person(new_context, "moderator")
    open_room(kofi)
    open_room(joseph)
    # The site moderator is not a member: the group page links the room all the same, and
    # the members see them online, marked as a site moderator.
    moderator.goto(f"/groups/{GROUP}")
    moderator.get_by_role("main").get_by_role("link", name="Chat room", exact=True).click()
    expect(moderator.locator("#chat")).to_have_attribute("data-live", "on")
    expect(moderator.locator(".note.visiting")).to_be_visible()
    expect(kofi.locator("#chat-status")).to_contain_text("moderator (site moderator)")

    send(joseph, "Cheap implants for sale, call me on 0700 000 000")
    shows_once(kofi, "Cheap implants for sale")
    live = kofi.locator("#chat-log > li", has_text="Cheap implants for sale")
    expect(live.get_by_role("link", name="Flag", exact=True)).to_have_count(1)
    shows_once(moderator, "Cheap implants for sale")
    moderator.locator("#chat-log > li", has_text="Cheap implants for sale").get_by_role(
        "link", name="Hide", exact=True).click()
    moderator.get_by_label("Reason", exact=True).fill("Selling in the forum")
    moderator.get_by_role("button", name="Hide", exact=True).click()
    # The members' open pages lose the text at once; a placeholder keeps its place.
    expect(kofi.locator("#chat-log", has_text="Cheap implants for sale")).to_have_count(0)
    expect(kofi.locator("#chat-log > li.hidden .placeholder")).to_have_text(
        "This message was hidden by a moderator.")
    no_problems(kofi_problems, joseph_problems, moderator_problems)
