"""Every list, and the thread page, loads in a fixed number of SQL queries however many rows
it shows: templates never trigger a lazy load per row."""

import re
from contextlib import contextmanager

import pytest
from sqlalchemy import event

from forum.extensions import db
from forum.models import User
from forum.services.qa import ask_question, delete_post, post_answer, post_reply
from forum.services.threads import POSTS_PER_PAGE
from forum.services.votes import vote_post
from tests.helpers import PageClient

PASSWORD = "correct horse battery"
THREAD_QUERY_BUDGET = 13  # + the files of the question and the page's posts (one query)
TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")


@pytest.fixture
def app_config():
    """The threads here are grown by one reader casting a hundred votes in a second, past
    LIMIT_VOTE_PER_USER: limits count in memory or Redis, never in SQL, so they are off."""
    return {"RATE_LIMITS": False}


@pytest.fixture
def authors(make_user):
    """Six members who write (distinct authors, so a lazy author load would show)."""
    return [make_user(f"writer{n}") for n in range(6)]


@pytest.fixture
def reader(app, make_user):
    """A logged-in member's page client (the session lookup is part of every count)."""
    make_user("reader")
    page = PageClient(app.test_client())
    page.login("reader", PASSWORD)
    page.get("/")
    return page


@contextmanager
def counting(app):
    """Collect the SQL statements the app's engine runs (transaction control left out)."""
    with app.app_context():
        engine = db.engine
    statements = []

    def before(conn, cursor, statement, parameters, context, executemany):
        if not statement.lstrip().upper().startswith(TRANSACTION_CONTROL):
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", before)


def queries_for(app, page, path) -> list[str]:
    with counting(app) as statements:
        response = page.get(path)
    assert response.status_code == 200, path
    return list(statements)


def ask_many(app, author_ids, start, stop, group="west-africa"):
    """Questions start..stop-1, each with its own tag (a lazy tag load would show)."""
    with app.app_context():
        for n in range(start, stop):
            author = db.session.get(User, author_ids[n % len(author_ids)])
            ask_question(author, title=f"Question number {n:03d} about supplies",
                         body=f"Body {n}.", group=group, tags=["common", f"tag-{n}"],
                         lang="fr" if n % 2 else "en", system=True)


def test_question_lists_take_the_same_queries_for_10_and_100_rows(app, group, authors,
                                                                  reader):
    paths = ["/questions?per_page=100", "/questions?per_page=100&sort=votes&status=open",
             "/groups/west-africa?per_page=100", "/tags/common?per_page=100",
             "/tags?per_page=100", "/groups"]
    ask_many(app, authors, 0, 10)
    small = {path: queries_for(app, reader, path) for path in paths}
    ask_many(app, authors, 10, 100)
    for path in paths:
        response = reader.get(path)
        if "/questions" in path or "/groups/" in path or "/tags/" in path:
            assert response.get_data(as_text=True).count('<li class="q">') == 100, path
        large = queries_for(app, reader, path)
        assert len(large) == len(small[path]), (path, len(small[path]), large)
        print(f"{path}: {len(large)} queries")


def test_anonymous_question_list_is_fixed_too(app, group, authors, anon_client):
    ask_many(app, authors, 0, 10)
    small = len(queries_for(app, anon_client, "/questions?per_page=100"))
    ask_many(app, authors, 10, 100)
    assert len(queries_for(app, anon_client, "/questions?per_page=100")) == small


def grow_thread(app, author_ids, question_id, reader_id, *, answers, chains):
    """Add answers, a chain of 4 replies under each of the first `chains` of them, votes by
    the reader on every other answer, one deleted answer that keeps its replies, and one
    chain deeper than the indent cap (flattened, "in reply to @name")."""
    with app.app_context():
        people = [db.session.get(User, i) for i in author_ids]
        reader = db.session.get(User, reader_id)
        made = []
        for n in range(answers):
            made.append(post_answer(people[n % 6], question_id, f"Answer {n}.", system=True).id)
        for n, answer_id in enumerate(made[:chains]):
            parent = answer_id
            for depth in range(4):
                parent = post_reply(people[(n + depth + 1) % 6], parent,
                                    f"Reply {n}.{depth}.", system=True).id
        for answer_id in made[::2]:
            vote_post(reader, answer_id, 1)
        parent = made[0]
        for depth in range(6):
            parent = post_reply(people[depth % 6], parent, f"Deep {depth}.", system=True).id
        delete_post(people[0], made[0])
        return made


def test_thread_page_takes_at_most_13_queries_for_2_or_600_posts(app, group, authors,
                                                                  make_question, reader):
    with app.app_context():
        reader_id = db.session.scalar(db.select(User.id).where(User.username == "reader"))
    small_q = make_question(authors[0], group)
    big_q = make_question(authors[1], group, title="A long thread about implants")
    grow_thread(app, authors, small_q, reader_id, answers=2, chains=1)
    grow_thread(app, authors, big_q, reader_id, answers=200, chains=100)
    small = queries_for(app, reader, f"/questions/{small_q}")
    large = queries_for(app, reader, f"/questions/{big_q}")
    first = reader.get(f"/questions/{big_q}").get_data(as_text=True)
    assert first.count("<article class=\"post") == POSTS_PER_PAGE  # long threads: pages
    pages = int(re.search(r"page 1 of (\d+)", first).group(1))
    html = "".join(reader.get(f"/questions/{big_q}?page={n}").get_data(as_text=True)
                   for n in range(1, pages + 1))
    assert html.count('class="post indent-0') == 200  # the deleted answer is a placeholder
    assert html.count('class="post indent-4') >= 100 and "in reply to @" in html
    assert 'aria-pressed="true"' in html and "deleted answer" in html
    print(f"thread page: {len(small)} queries (2 answers), {len(large)} (200 answers, "
          f"{first.count('<article')} posts of {html.count('<article')} on page 1 of "
          f"{pages}), {len(first)} bytes")
    assert len(large) == len(small), (small, large)
    assert len(large) <= THREAD_QUERY_BUDGET, large


def test_anonymous_and_moderator_thread_views_are_fixed_too(app, group, authors, make_user,
                                                            make_question, reader,
                                                            anon_client):
    make_user("boss", role="moderator")
    moderator = PageClient(app.test_client())
    moderator.login("boss", PASSWORD)
    with app.app_context():
        reader_id = db.session.scalar(db.select(User.id).where(User.username == "reader"))
    small_q = make_question(authors[0], group)
    big_q = make_question(authors[1], group, title="A long thread about implants")
    grow_thread(app, authors, small_q, reader_id, answers=2, chains=1)
    grow_thread(app, authors, big_q, reader_id, answers=60, chains=30)
    for page in (anon_client, moderator):
        small = queries_for(app, page, f"/questions/{small_q}")
        large = queries_for(app, page, f"/questions/{big_q}")
        assert len(large) == len(small) <= THREAD_QUERY_BUDGET, (small, large)
