"""Long threads come in pages (issue 16's 60 KB budget): an 84-post thread, read by the asker,
a moderator, a member and an anonymous reader, stays under the budget on every page; every
post is on exactly one page; a link to a post finds its page; a reply whose parent is on an
earlier page links back to it there.

Budget: about 10 s per pass.
"""

import re

import pytest

from forum.services.threads import POSTS_PER_PAGE
from tests.helpers import PageClient

PASSWORD = "correct horse battery"
PAGE_BUDGET = 60 * 1024
POST_ID = re.compile(r'<article class="post[^"]*" id="post-(\d+)"')


@pytest.fixture
def people(make_user):
    return {name: make_user(name, role=role) for name, role in
            [("asker", "member"), ("helper", "member"), ("peer", "member"),
             ("mod", "moderator")]}


@pytest.fixture
def long_thread(app, people, group, join, make_question, make_post):
    """84 posts: 40 answers, the first with a chain of 12 replies (deeper than the indent
    cap), and 32 replies spread over other answers."""
    for name in ("asker", "helper", "peer"):
        join(people[name], group)
    question = make_question(people["asker"], group, title="Eighty-four posts on implants")
    body = ("Order implants a quarter ahead, keep a buffer of two months, and count the "
            "stock every Friday with the store keeper. ") * 2
    answers = [make_post(people["helper" if n % 2 else "peer"], question_id=question,
                         body=f"{body} Answer {n}.") for n in range(40)]
    parent = answers[0]
    for n in range(12):
        parent = make_post(people["asker"], parent_id=parent, body=f"{body} Chain {n}.")
    for n in range(32):
        make_post(people["peer"], parent_id=answers[1 + n % 39], body=f"{body} Reply {n}.")
    return {"question": question, "answers": answers}


def reader(app, username):
    page = PageClient(app.test_client())
    if username:
        page.login(username, PASSWORD)
    return page


def test_every_page_of_an_84_post_thread_stays_under_the_budget_for_every_reader(
        app, people, long_thread):
    qid = long_thread["question"]
    pages = -(-84 // POSTS_PER_PAGE)
    sizes = {}
    for who in ("asker", "mod", "peer", None):
        client = reader(app, who)
        seen = []
        for number in range(1, pages + 1):
            response = client.get(f"/questions/{qid}?page={number}")
            assert response.status_code == 200
            html = response.get_data(as_text=True)
            assert len(response.data) <= PAGE_BUDGET, (who, number, len(response.data))
            sizes.setdefault(who or "anonymous", []).append(len(response.data))
            assert f"page {number} of {pages}" in html
            seen += POST_ID.findall(html)
        assert len(seen) == 84 and len(set(seen)) == 84, who  # each post once
    print("84-post thread, bytes of each page:", sizes)


def test_the_pager_links_pages_and_bad_page_numbers_fall_back(app, people, long_thread):
    qid = long_thread["question"]
    client = reader(app, None)
    first = client.get(f"/questions/{qid}").get_data(as_text=True)
    assert f'href="/questions/{qid}?page=2#answers-title" rel="next"' in first
    assert 'rel="prev"' not in first
    last = client.get(f"/questions/{qid}?page=3").get_data(as_text=True)
    assert f'href="/questions/{qid}?page=2#answers-title" rel="prev"' in last
    assert 'rel="next"' not in last
    for bad in ("abc", "0", "-1", "99999", "1e3"):
        response = client.get(f"/questions/{qid}?page={bad}")
        assert response.status_code == 200
        assert POST_ID.search(response.get_data(as_text=True))


def test_a_link_to_a_post_opens_the_page_holding_it(app, people, long_thread):
    qid = long_thread["question"]
    client = reader(app, "peer")
    last_page = client.get(f"/questions/{qid}?page=3").get_data(as_text=True)
    target = POST_ID.findall(last_page)[-1]
    html = client.get(f"/questions/{qid}?post={target}").get_data(as_text=True)
    assert f'id="post-{target}"' in html and "page 3 of 3" in html
    # An unknown post falls back to the first page.
    assert "page 1 of 3" in client.get(f"/questions/{qid}?post=999999").get_data(as_text=True)


def test_a_reply_cut_from_its_parent_links_back_to_the_parent_page(app, people, long_thread):
    qid = long_thread["question"]
    client = reader(app, None)
    pages = [client.get(f"/questions/{qid}?page={n}").get_data(as_text=True)
             for n in (1, 2, 3)]
    links = re.findall(r'<p class="reply-to"><a href="\?page=(\d)#post-(\d+)">', pages[1])
    assert links, "page 2 opens with replies whose parents are on page 1"
    for page, parent in links:
        assert f'id="post-{parent}"' in pages[int(page) - 1]


def test_a_short_thread_has_no_pager(app, people, group, join, make_question, make_post):
    join(people["asker"], group)
    qid = make_question(people["asker"], group)
    make_post(people["helper"], question_id=qid)
    html = reader(app, None).get(f"/questions/{qid}").get_data(as_text=True)
    assert "answers-pager" not in html and 'rel="next"' not in html
