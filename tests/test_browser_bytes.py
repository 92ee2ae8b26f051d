"""Bytes and round trips in headless Chromium: the Socket.IO client only for pages that go
live, compressed and year-cached static files, votes and accept without a reload, the
answer count following live arrivals, and live placeholders for hidden answers.

One `python wsgi.py` server for the module, its accounts and thread made by one
`flask shell`."""

import re
import subprocess

import pytest

from tests.browser_support import PageProblems, require_chromium
from tests.servers import ROOT, VENV_BIN, ServerProcess

require_chromium()

from playwright.sync_api import expect  # noqa: E402

pytestmark = [pytest.mark.browser]

PASSWORD = "correct horse battery"
SETUP = f"""
from flask_migrate import upgrade
upgrade()
from datetime import timedelta
from forum.extensions import db
from forum.models import User, utcnow
from forum.services.accounts import register_user
from forum.services.groups import create_group
from forum.services.qa import ask_question, post_answer
from forum.services.uow import unit_of_work
people = {{}}
for name, role in (("asker", "member"), ("helper", "member"), ("voter", "member"),
                   ("keeper", "moderator")):
    people[name] = register_user(name, name + "@example.org", {PASSWORD!r}, name.title(),
                                 role=role, system=True)
with unit_of_work():
    for user in people.values():
        db.session.get(User, user.id).created_at = utcnow() - timedelta(days=30)
create_group(None, "west-africa", "West Africa", "West Africa", "", system=True)
for title in ("How do we avoid implant stock-outs?", "Which cold boxes last the longest?"):
    q = ask_question(db.session.get(User, people["asker"].id), title=title,
                     body="Our rural clinics run out every quarter.", group="west-africa",
                     tags=["implants"], lang="en", system=True)
    for body in ("Order three months ahead.", "Count the stock every week."):
        post_answer(db.session.get(User, people["helper"].id), q.id, body, lang="en",
                    system=True)
"""
FIRST, SECOND = 1, 2  # the two questions; answers 1-2 and 3-4


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    running = ServerProcess(tmp_path_factory.mktemp("browser-bytes"),
                            env={"FORUM_RATE_LIMITS": "0"})
    # One `flask shell` migrates and fills the database: each command starts the app again.
    subprocess.run([str(VENV_BIN / "flask"), "--app", "wsgi", "shell"],
                   input=f"exec({SETUP!r})\n", cwd=ROOT, env=running.env, check=True,
                   capture_output=True, text=True, timeout=120)
    running.start(migrate=False)
    try:
        yield running
    finally:
        running.stop()


def log_in(page, username: str) -> None:
    page.goto("/login")
    page.get_by_label("Username or email", exact=True).fill(username)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Log in", exact=True).click()
    expect(page.get_by_role("banner").get_by_role("button", name="Log out")).to_be_visible()


def watch_requests(page) -> list:
    seen = []
    page.on("request", lambda request: seen.append(request))
    return seen


def test_an_anonymous_reader_gets_no_socket_client_until_the_first_interaction(new_context):
    page = new_context().new_page()
    problems = PageProblems(page)
    requests = watch_requests(page)
    page.goto(f"/questions/{FIRST}")
    page.wait_for_load_state("networkidle")
    names = [request.url for request in requests]
    assert not [url for url in names if "socket.io" in url], names
    assert page.locator("#question").get_attribute("data-live") is None
    static = [request for request in requests if "/static/" in request.url]
    assert {re.sub(r"^.*/static/[0-9a-f]{10}/", "", r.url) for r in static} >= {
        "css/tacit.css", "js/tacit.js"}
    for request in static:  # fingerprinted, a year in the cache, compressed
        response = request.response()
        assert re.search(r"/static/[0-9a-f]{10}/", request.url), request.url
        assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
        if request.url.endswith((".css", ".js")):
            assert response.headers.get("content-encoding") in {"br", "gzip"}, request.url
    document = requests[0].response()
    assert document.headers.get("content-encoding") == "gzip"

    page.keyboard.press("Shift")  # the first interaction: now the page goes live
    expect(page.locator("#question")).to_have_attribute("data-live", "on")
    assert [request for request in requests if "socket.io.min.js" in request.url]
    page.goto("/")
    assert problems.found == [], problems.found


def test_save_data_gets_no_socket_client_even_after_an_interaction(new_context):
    page = new_context(extra_http_headers={"Save-Data": "on"}).new_page()
    requests = watch_requests(page)
    page.goto(f"/questions/{FIRST}")
    page.keyboard.press("Shift")
    page.locator("#main").click()
    page.wait_for_timeout(300)
    assert not [r.url for r in requests if "socket.io" in r.url]


def test_votes_and_accept_happen_in_place_and_counts_follow_live_answers(new_context):
    reader = new_context().new_page()
    reader.goto(f"/questions/{SECOND}")
    reader.keyboard.press("Shift")
    expect(reader.locator("#question")).to_have_attribute("data-live", "on")
    expect(reader.locator("#answers-title")).to_have_text("2 answers")

    voter = new_context().new_page()
    problems = PageProblems(voter)
    log_in(voter, "voter")
    voter.goto(f"/questions/{SECOND}")
    expect(voter.locator("#question")).to_have_attribute("data-live", "on")  # signed in
    voter.evaluate("window.stillHere = true")
    requests = watch_requests(voter)
    post = voter.locator("#post-3")
    post.get_by_role("button", name="Vote up").click()
    expect(post.get_by_role("button", name="Vote up")).to_have_attribute("aria-pressed", "true")
    expect(post.locator(".vote .score")).to_have_text("1")
    expect(reader.locator("#post-3 .vote .score")).to_have_text("1")  # live, elsewhere
    post.get_by_role("button", name="Vote up").click()  # and back
    expect(post.get_by_role("button", name="Vote up")).to_have_attribute("aria-pressed",
                                                                         "false")
    expect(post.locator(".vote .score")).to_have_text("0")
    assert voter.evaluate("window.stillHere") is True  # no reload
    posts = [r for r in requests if r.method == "POST"]
    assert len(posts) == 2 and all(r.response().headers["content-type"] == "application/json"
                                   for r in posts)
    assert not [r for r in requests if r.resource_type == "document"]

    # A reply is written in place: no reply page, no reload.
    post.get_by_role("link", name="Reply", exact=True).click()
    form = voter.locator("#reply-form-3")
    form.get_by_role("button", name="Post your reply").click()  # empty: refused in place
    expect(form.locator("p.error")).not_to_be_empty()
    form.get_by_label("Your reply", exact=True).fill("Which supplier do you order from?")
    form.get_by_role("button", name="Post your reply").click()
    expect(voter.locator("#replies-3 > article.post")).to_contain_text("Which supplier")
    expect(voter.locator("#reply-form-3")).to_have_count(0)
    expect(voter.locator(".flashes")).to_contain_text("Your reply is posted.")
    assert re.search(r"#post-\d+$", voter.url)
    expect(reader.locator("#replies-3 > article.post")).to_contain_text("Which supplier")
    assert voter.evaluate("window.stillHere") is True
    assert not [r for r in requests if r.resource_type == "document"]
    expect(reader.locator("#answers-title")).to_have_text("2 answers")  # a reply is no answer

    asker = new_context().new_page()
    log_in(asker, "asker")
    asker.goto(f"/questions/{SECOND}")
    asker.evaluate("window.stillHere = true")
    asker.locator("#post-4").get_by_role("button", name="Accept this answer").click()
    expect(asker.locator("#post-4")).to_have_class(re.compile(r"\baccepted\b"))
    expect(asker.locator("#post-4")).to_contain_text("Accepted answer")
    assert asker.evaluate("window.stillHere") is True

    asker.get_by_label("Your answer", exact=True).fill("Asking the district store helps too.")
    asker.get_by_role("button", name="Post your answer").click()
    expect(reader.locator("#answers > article.post")).to_have_count(3)
    expect(reader.locator("#answers-title")).to_have_text("3 answers")
    voter.goto("/")
    refused = "/posts/3/reply: Failed to load resource: the server responded with a status of 422"
    assert [p for p in problems.found if refused not in p] == [], problems.found


def test_a_hidden_answer_becomes_the_placeholder_live_and_comes_back_restored(new_context):
    reader = new_context().new_page()
    problems = PageProblems(reader)
    reader.goto(f"/questions/{FIRST}")
    reader.keyboard.press("Shift")
    expect(reader.locator("#question")).to_have_attribute("data-live", "on")
    expect(reader.locator("#post-1")).to_contain_text("Order three months ahead.")

    keeper = new_context(java_script_enabled=False).new_page()
    log_in(keeper, "keeper")
    keeper.goto("/posts/1/hide")
    keeper.get_by_label("Reason").fill("Needs a source.")
    keeper.locator("main form button[type=submit]").click()

    hidden = reader.locator("#post-1")
    expect(hidden.locator("p.placeholder")).to_have_text("hidden by a moderator")
    expect(hidden).not_to_contain_text("Order three months ahead.")
    fresh = new_context().new_page()  # what the server renders for the same reader
    fresh.goto(f"/questions/{FIRST}")
    assert fresh.locator("#post-1").inner_html() == hidden.inner_html()

    keeper.goto("/posts/1/restore")
    keeper.locator("main form button[type=submit]").click()
    expect(hidden).to_contain_text("Order three months ahead.")
    expect(hidden.locator("p.placeholder")).to_have_count(0)

    # The question itself: its title and text give way to the placeholder, and come back.
    keeper.goto(f"/moderation/questions/{FIRST}/hide")
    keeper.get_by_label("Reason").fill("Off topic for now.")
    keeper.locator("main form button[type=submit]").click()
    title = reader.locator("#question h1")
    expect(title).to_have_text("hidden by a moderator")
    expect(reader.locator("#question .qbody .body p.placeholder")).to_have_count(1)
    keeper.goto(f"/moderation/questions/{FIRST}/restore")
    keeper.locator("main form button[type=submit]").click()
    expect(title).to_have_text("How do we avoid implant stock-outs?")
    expect(reader.locator("#question .qbody .body")).to_have_text(
        "Our rural clinics run out every quarter.")
    reader.goto("/")
    assert problems.found == [], problems.found
