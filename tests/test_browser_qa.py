"""The Q&A journey in headless Chromium: ask, answer, reply, vote, accept, search; live updates.

One `python wsgi.py` server per module (demo seeded, rate limits off: the journeys post a
lot) and one browser; a fresh browser context per person. The journey runs with JavaScript
(similar questions while typing the title; a second reader sees the thread change without
reloading) and again without (the "Check for similar questions" button; plain forms).
"""

import re
from dataclasses import dataclass

import pytest

from tests.browser_support import (
    PageProblems,
    require_chromium,
)
from tests.servers import ServerProcess

require_chromium()

from playwright.sync_api import expect  # noqa: E402

pytestmark = [pytest.mark.browser]

DEMO_PASSWORD = "tacit-demo-2026"
GROUP = "supply-journeys"
EARLIER_TITLE = "Implant stock-outs in rural clinics every quarter"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with ServerProcess(tmp_path_factory.mktemp("browser-qa"), env={"FORUM_RATE_LIMITS": "0"},
                       seed_demo=True) as running:
        running.flask("groups", "create", GROUP, "--name", "Supply chain journeys",
                      "--region", "Testing")
        yield running






@pytest.fixture(scope="module")
def earlier_question(browser, server):
    """A question the journeys' titles resemble, asked beforehand by `rahul`."""
    context = browser.new_context(base_url=server.url, locale="en-US",
                                  java_script_enabled=False)
    context.set_default_timeout(10_000)
    page = context.new_page()
    log_in(page, "rahul")
    page.goto("/questions/ask")
    page.get_by_label("Title", exact=True).fill(EARLIER_TITLE)
    fill_question(page, "Every quarter our rural clinics run out of implants. "
                  "What helped you keep them in stock?")
    page.get_by_role("button", name="Post your question").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(EARLIER_TITLE)
    question_id = int(page.locator("#question").get_attribute("data-question-id"))
    context.close()
    return question_id


# -- steps ----------------------------------------------------------------------------------


def header(page):
    return page.get_by_role("banner")


def log_in(page, username: str) -> None:
    page.goto("/login")
    page.get_by_label("Username or email", exact=True).fill(username)
    page.get_by_label("Password", exact=True).fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in", exact=True).click()
    expect(header(page).get_by_role("button", name="Log out", exact=True)).to_be_visible()


def fill_question(page, body: str) -> None:
    page.get_by_label("Your question", exact=True).fill(body)
    page.get_by_label("Group", exact=True).select_option(GROUP)
    page.get_by_label("Tags", exact=True).fill("implants stock-outs")


def status(page):
    return page.locator(".flashes")


def anchor_id(page) -> int:
    """The post id in the URL's #post-ID, where a page sends you after posting."""
    match = re.search(r"#post-(\d+)$", page.url)
    assert match, f"no #post-ID in {page.url}"
    return int(match.group(1))


def score_of(page, post_id: int):
    """The score a page shows for an answer (data-score-for, else the post's vote box)."""
    marked = page.locator(f'[data-score-for="post-{post_id}"]')
    if marked.count():
        return marked.first
    return page.locator(f"#post-{post_id} .vote .score").first


@dataclass
class Journey:
    js: bool
    asker: str
    helper: str
    title: str
    body: str
    word: str  # a word only this journey's question uses, to search for


def ask_with_similar_check(page, journey: Journey) -> int:
    """Ask a question; on the way, the earlier look-alike question is suggested."""
    page.goto("/questions/ask")
    title = page.get_by_label("Title", exact=True)
    similar = page.locator("#similar")
    if journey.js:
        title.press_sequentially(journey.title, delay=15)
        expect(similar.get_by_role("link", name=EARLIER_TITLE)).to_be_visible()
    else:
        title.fill(journey.title)
        page.get_by_role("button", name="Check for similar questions").click()
        expect(similar.get_by_role("link", name=EARLIER_TITLE)).to_be_visible()
        expect(page.get_by_label("Title", exact=True)).to_have_value(journey.title)
    fill_question(page, journey.body)
    page.get_by_role("button", name="Post your question").click()
    expect(status(page)).to_contain_text("Your question is posted.")
    expect(page.get_by_role("heading", level=1)).to_have_text(journey.title)
    return int(page.locator("#question").get_attribute("data-question-id"))


def answer(page, question_id: int, body: str) -> int:
    page.goto(f"/questions/{question_id}")
    page.get_by_label("Your answer", exact=True).fill(body)
    page.get_by_role("button", name="Post your answer").click()
    expect(status(page)).to_contain_text("Your answer is posted.")
    post_id = anchor_id(page)
    expect(page.locator(f"#answers #post-{post_id}")).to_contain_text(body)
    return post_id


def reply(page, question_id: int, parent_id: int, body: str) -> int:
    page.goto(f"/questions/{question_id}")
    # The post's own "Reply" link (its replies, nested inside it, have theirs).
    page.locator(f"#post-{parent_id}").get_by_role("link", name="Reply", exact=True).and_(
        page.locator(f'[href$="/posts/{parent_id}/reply"]')).click()
    page.get_by_label("Your reply", exact=True).fill(body)
    page.get_by_role("button", name="Post your reply").click()
    expect(status(page)).to_contain_text("Your reply is posted.")
    post_id = anchor_id(page)
    expect(page.locator(f"#post-{post_id}")).to_contain_text(body)
    return post_id


def vote_up(page, question_id: int, post_id: int) -> None:
    page.goto(f"/questions/{question_id}")
    page.locator(f"#post-{post_id}").get_by_role("button", name="Vote up").click()
    post = page.locator(f"#post-{post_id}")
    expect(post.get_by_role("button", name="Vote up")).to_have_attribute("aria-pressed",
                                                                         "true")
    expect(score_of(page, post_id)).to_have_text("1")


def accept(page, question_id: int, post_id: int) -> None:
    page.goto(f"/questions/{question_id}")
    page.locator(f"#post-{post_id}").get_by_role("button", name="Accept this answer").click()
    expect(page.locator(f"#post-{post_id}")).to_contain_text("Accepted answer")
    expect(page.locator(f"#post-{post_id}")).to_have_class(re.compile(r"\baccepted\b"))


def search_finds(page, journey: Journey, question_id: int) -> None:
    """The header's Search link, the search form, then the question among the results."""
    header(page).get_by_role("link", name="Search", exact=True).click()
    form = page.get_by_role("search")
    form.get_by_label("Words to look for").fill(journey.word)
    form.get_by_role("button", name="Search", exact=True).click()
    expect(page).to_have_url(re.compile(rf"/search\?q={journey.word}\b"))
    found = page.get_by_role("main").get_by_role("link", name=journey.title)
    expect(found).to_be_visible()
    found.click()
    expect(page).to_have_url(re.compile(rf"/questions/{question_id}\b"))


def run_journey(new_context, journey: Journey, *, watcher=None):
    """Ask, answer, reply, vote, accept and search, each step by the person who would."""
    asker_page = new_context(java_script_enabled=journey.js).new_page()
    helper_page = new_context(java_script_enabled=journey.js).new_page()
    problems = [PageProblems(asker_page), PageProblems(helper_page)]
    log_in(asker_page, journey.asker)
    log_in(helper_page, journey.helper)

    question_id = ask_with_similar_check(asker_page, journey)
    if watcher:
        watcher.start(question_id)

    answer_id = answer(helper_page, question_id,
                       f"We moved to monthly orders in {journey.word}; it helped.")
    if watcher:
        watcher.sees_answer(answer_id, f"monthly orders in {journey.word}")

    reply_id = reply(asker_page, question_id, answer_id,
                     "Monthly orders: who pays for the extra transport?")
    if watcher:
        watcher.sees_reply(answer_id, reply_id, "who pays for the extra transport")

    vote_up(asker_page, question_id, answer_id)
    if watcher:
        watcher.sees_score(answer_id, "1")

    accept(asker_page, question_id, answer_id)
    if watcher:
        watcher.sees_accepted(answer_id)

    search_finds(helper_page, journey, question_id)
    if journey.js:
        asker_page.goto("/")  # a last navigation flushes late reports
        helper_page.goto("/")
        found = [problem for p in problems for problem in p.found]
        assert found == [], found
    return question_id


class Watcher:
    """A second reader with the question open in another browser, never reloading."""

    def __init__(self, new_context):
        self.page = new_context().new_page()
        self.problems = PageProblems(self.page)

    def start(self, question_id: int) -> None:
        self.page.goto(f"/questions/{question_id}")
        # An anonymous page loads the Socket.IO client at its reader's first key press or tap.
        self.page.keyboard.press("Shift")
        # The page's script says when its socket watches the question.
        expect(self.page.locator("#question")).to_have_attribute("data-live", "on")
        self.page.evaluate("window.tacitNoReload = 'still here'")

    def still_same_page(self) -> None:
        assert self.page.evaluate("window.tacitNoReload") == "still here", "page reloaded"

    def announced(self, text: str) -> None:
        """What the page's polite live region says (screen readers read it out)."""
        expect(self.page.locator('body > [aria-live="polite"]')).to_have_text(text)

    def sees_answer(self, post_id: int, text: str) -> None:
        expect(self.page.locator(f"#answers > #post-{post_id}")).to_contain_text(text)
        expect(self.page.locator(f"#post-{post_id}")).to_have_count(1)
        self.announced("New answer")
        self.still_same_page()

    def sees_reply(self, parent_id: int, post_id: int, text: str) -> None:
        expect(self.page.locator(f"#replies-{parent_id} > #post-{post_id}")).to_contain_text(
            text)
        expect(self.page.locator(f"#post-{post_id}")).to_have_count(1)
        self.announced("New reply")
        self.still_same_page()

    def sees_score(self, post_id: int, score: str) -> None:
        expect(score_of(self.page, post_id)).to_have_text(score)
        self.still_same_page()

    def sees_accepted(self, post_id: int) -> None:
        post = self.page.locator(f"#post-{post_id}")
        expect(post).to_contain_text("Accepted answer")
        expect(post).to_have_class(re.compile(r"\baccepted\b"))
        self.still_same_page()


# -- the journeys ---------------------------------------------------------------------------


def test_with_javascript_the_qa_journey_updates_a_second_reader_live(new_context,
                                                                     earlier_question):
    watcher = Watcher(new_context)  # anonymous: the group is public
    journey = Journey(js=True, asker="kofi", helper="achieng", word="mpwapwa",
                      title="How do we stop implant stock-outs in rural clinics?",
                      body="Our district in Mpwapwa runs out of implants each quarter.")
    run_journey(new_context, journey, watcher=watcher)
    # The answer, its reply and nothing else arrived, each once.
    expect(watcher.page.locator("#answers > article.post")).to_have_count(1)
    watcher.page.goto("/")
    assert watcher.problems.found == [], watcher.problems.found


def test_without_javascript_the_same_journey_works_with_plain_forms(new_context,
                                                                   earlier_question):
    journey = Journey(js=False, asker="siti", helper="nguyen", word="kilosa",
                      title="Implant stock-outs in rural clinics: what works?",
                      body="Clinics around Kilosa wait months for implants.")
    run_journey(new_context, journey)


def test_the_similar_questions_box_follows_the_title_as_it_is_typed(new_context,
                                                                    earlier_question):
    page = new_context().new_page()
    problems = PageProblems(page)
    log_in(page, "admin")
    page.goto("/questions/ask")
    title = page.get_by_label("Title", exact=True)
    similar = page.locator("#similar")
    title.press_sequentially("Implant", delay=15)  # under 10 characters: nothing asked
    page.wait_for_timeout(700)
    expect(similar.get_by_role("link")).to_have_count(0)
    title.press_sequentially(" stock-outs in clinics", delay=15)
    expect(similar.get_by_role("link", name=EARLIER_TITLE)).to_be_visible()
    title.fill("")
    title.press_sequentially("Zzyzx qwrtp vbnml", delay=15)  # like nothing at all
    expect(similar.get_by_role("link")).to_have_count(0)
    assert problems.found == [], problems.found


def test_a_reader_who_opened_the_question_before_an_answer_sees_it_once(new_context,
                                                                        earlier_question):
    """The writer's own page reloads with the answer; the live copy never doubles it."""
    writer = new_context().new_page()
    log_in(writer, "joseph")
    reader = Watcher(new_context)
    reader.start(earlier_question)
    post_id = answer(writer, earlier_question, "We order every month in Shinyanga now.")
    reader.sees_answer(post_id, "every month in Shinyanga")
    # The writer's page has the answer once too, with its own live socket running.
    expect(writer.locator("#question")).to_have_attribute("data-live", "on")
    writer.wait_for_timeout(500)
    expect(writer.locator(f"#post-{post_id}")).to_have_count(1)


def test_an_edit_and_a_deletion_reach_a_reader_without_reloading(new_context,
                                                                 earlier_question):
    writer = new_context().new_page()
    log_in(writer, "rahul")
    reader = Watcher(new_context)
    reader.start(earlier_question)
    post_id = answer(writer, earlier_question, "A first draft from Tabora.")
    reader.sees_answer(post_id, "A first draft from Tabora.")

    writer.goto(f"/posts/{post_id}/edit")
    writer.get_by_label("Answer", exact=True).fill("A **better** answer from Tabora.")
    writer.get_by_role("button", name="Save changes").click()
    expect(status(writer)).to_contain_text("Your changes are saved.")
    edited = reader.page.locator(f"#answers > #post-{post_id}")
    expect(edited.locator("strong")).to_have_text("better")
    expect(edited).not_to_contain_text("A first draft")
    reader.still_same_page()

    writer.goto(f"/posts/{post_id}/delete")
    writer.get_by_role("button", name="Delete", exact=True).click()
    expect(status(writer)).to_contain_text("The answer is deleted.")
    expect(reader.page.locator(f"#post-{post_id}")).to_have_count(0)
    reader.still_same_page()
    reader.page.goto("/")
    assert reader.problems.found == [], reader.problems.found


def test_a_deleted_answer_with_replies_leaves_only_the_replies_on_a_readers_page(
        new_context, earlier_question):
    writer = new_context().new_page()
    log_in(writer, "nguyen")
    reader = Watcher(new_context)
    reader.start(earlier_question)
    post_id = answer(writer, earlier_question, "Soon withdrawn: call the district store.")
    reader.sees_answer(post_id, "Soon withdrawn")
    reply_id = reply(writer, earlier_question, post_id, "Correction in the next answer.")
    reader.sees_reply(post_id, reply_id, "Correction in the next answer.")

    writer.goto(f"/posts/{post_id}/delete")
    writer.get_by_role("button", name="Delete", exact=True).click()
    expect(status(writer)).to_contain_text("The answer is deleted.")
    gone = reader.page.locator(f"#post-{post_id}")
    expect(gone).not_to_contain_text("Soon withdrawn")
    expect(gone).to_have_class(re.compile(r"\bdeleted\b"))
    expect(gone.locator(f"#replies-{post_id} > #post-{reply_id}")).to_contain_text(
        "Correction in the next answer.")
    reader.still_same_page()


THREAD_SHAPE_JS = """() => [...document.querySelectorAll('#answers article.post')].map(
  (el) => [el.id, el.parentElement.id || el.parentElement.className])"""


def test_a_deep_thread_built_live_looks_like_the_same_thread_loaded_afresh(new_context,
                                                                           earlier_question):
    """Past the deepest indent the page lists replies flat; live replies land the same way."""
    writer = new_context(java_script_enabled=False).new_page()
    log_in(writer, "kofi")
    reader = Watcher(new_context)
    reader.start(earlier_question)
    parent = answer(writer, earlier_question, "Depth zero: ask the regional store.")
    first_reply = None
    for depth in range(1, 7):
        parent = reply(writer, earlier_question, parent, f"Depth {depth} of the thread.")
        first_reply = first_reply or parent
        expect(reader.page.locator(f"#post-{parent}")).to_contain_text(
            f"Depth {depth} of the thread.")
    # A second reply to the first reply goes after the whole deep thread below it.
    late = reply(writer, earlier_question, first_reply, "A late reply to depth one.")
    expect(reader.page.locator(f"#post-{late}")).to_contain_text("A late reply")
    reader.still_same_page()

    live_shape = reader.page.evaluate(THREAD_SHAPE_JS)
    fresh = new_context().new_page()
    fresh.goto(f"/questions/{earlier_question}")
    assert live_shape == fresh.evaluate(THREAD_SHAPE_JS)


def test_a_page_whose_login_ended_in_another_tab_goes_on_live_anonymously(new_context,
                                                                          earlier_question):
    """A logout ends the session's /live sockets at once; the page connects again, as the
    anonymous reader its cookie now makes it, and still follows a public question."""
    reader = Watcher(new_context)
    log_in(reader.page, "rahul")
    reader.start(earlier_question)
    other_tab = reader.page.context.new_page()  # the same browser: the same login session
    other_tab.goto("/")
    header(other_tab).get_by_role("button", name="Log out", exact=True).click()
    live = reader.page.locator("#question")
    expect(live).to_have_attribute("data-live", "off")
    expect(live).to_have_attribute("data-live", "on")  # watching again, anonymously
    writer = new_context(java_script_enabled=False).new_page()
    log_in(writer, "nguyen")
    post_id = answer(writer, earlier_question, "Answered after the other tab logged out.")
    reader.sees_answer(post_id, "Answered after the other tab logged out.")
    assert reader.problems.found == [], reader.problems.found
