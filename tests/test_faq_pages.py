"""The curated FAQ's pages: the list (by tag, by group, filtered, searched), an entry's page
(curated text, provenance, obsolete and withdrawn), the curators' actions and the promotion
form, the review queue, revisions, the Atom feed, private groups, and fixed query counts.

Budget: about 20 s on SQLite.
"""

from datetime import date, timedelta

import pytest
from flask import render_template
from sqlalchemy import event

from forum.extensions import db
from forum.models import (
    FaqContributor,
    FaqEntry,
    FaqEntryTag,
    FaqRevision,
    Post,
    Question,
    Tag,
    User,
)
from forum.services import chat, faq
from forum.services.groups import set_group_moderator
from forum.services.qa import accept_answer, edit_post
from forum.services.uow import unit_of_work
from tests.helpers import PageClient

PASSWORD = "correct horse battery"


def _as(app, user_id, fn, *args, **kwargs):
    with app.app_context():
        fn(db.session.get(User, user_id), *args, **kwargs)


@pytest.fixture
def people(app, make_user, make_group, join):
    """An admin, a site moderator, a group moderator of west-africa, an asker, an answerer,
    a plain member, and the public group west-africa and the private group secret-clinic."""
    ids = {
        "admin": make_user("admin", role="admin"),
        "sitemod": make_user("sitemod", role="moderator"),
        "groupmod": make_user("groupmod"),
        "asker": make_user("asker", display_name="Asker Ama"),
        "answerer": make_user("answerer", display_name="Answerer Abu"),
        "member": make_user("member"),
    }
    make_group("west-africa")
    make_group("secret-clinic", private=True)
    for name in ("groupmod", "asker", "answerer", "member"):
        join(ids[name], "west-africa")
    _as(app, ids["admin"], set_group_moderator, "west-africa", "groupmod", True)
    return ids


def answered(app, make_question, make_post, people, *, group="west-africa",
             title="How do we avoid implant stock-outs?", tags=("implants",), lang="en",
             answer="Order **earlier** than you think.\nKeep a buffer of three months."):
    """A question with an accepted answer: (question id, answer id)."""
    question_id = make_question(people["asker"], group, title=title, tags=tags, lang=lang)
    answer_id = make_post(people["answerer"], question_id=question_id, body=answer)
    _as(app, people["asker"], accept_answer, question_id, answer_id)
    return question_id, answer_id


def promote(app, people, question_id, who="sitemod", **kwargs):
    with app.app_context():
        entry = faq.promote(db.session.get(User, people[who]), question_id, **kwargs)
        return entry.id


def login(app, username) -> PageClient:
    page = PageClient(app.test_client())
    page.login(username, PASSWORD)
    return page


@pytest.fixture
def private_people(app, people, join):
    """The asker and answerer are also members of the private group."""
    join(people["asker"], "secret-clinic", private=True)
    join(people["answerer"], "secret-clinic", private=True)
    return people


# -- the list -----------------------------------------------------------------------------


def test_faq_list_groups_entries_by_tag_and_by_group(app, people, make_question, make_post,
                                                     make_group, join, anon_client):
    make_group("east-africa", region="East Africa")
    join(people["asker"], "east-africa")
    join(people["answerer"], "east-africa")
    q1, _a1 = answered(app, make_question, make_post, people, tags=("implants", "supply"))
    q2, _a2 = answered(app, make_question, make_post, people, group="east-africa",
                       title="Which counselling script works for teens?",
                       tags=("counselling",))
    e1 = promote(app, people, q1, summary="Order *early*.")
    e2 = promote(app, people, q2)

    html = anon_client.get("/faq").get_data(as_text=True)
    assert anon_client.get("/faq").status_code == 200
    # By tag: each tag is a section, an entry under each of its tags.
    assert html.count(f'href="/faq/{e1}"') == 2
    assert html.count(f'href="/faq/{e2}"') == 1
    for tag in ("implants", "supply", "counselling"):
        assert f'href="/faq?tag={tag}">{tag}</a></h2>' in html
    assert "Order early." in html  # the summary's excerpt, as plain text
    assert "Last reviewed on" in html
    assert "due for review" not in html

    html = anon_client.get("/faq?by=group").get_data(as_text=True)
    assert html.count(f'href="/faq/{e1}"') == 1
    east = html.index('group=east-africa">East Africa</a></h2>')
    west = html.index('group=west-africa">West Africa</a></h2>')
    assert east < html.index(f'href="/faq/{e2}"') < west < html.index(f'href="/faq/{e1}"')
    # Packet links of the current view.
    assert 'href="/faq/packet.html"' in html and 'href="/faq/packet.json"' in html


def test_faq_list_filters_and_search(app, people, make_question, make_post, anon_client):
    q1, _ = answered(app, make_question, make_post, people, tags=("implants",))
    q2, _ = answered(app, make_question, make_post, people,
                     title="Comment conserver les pilules ?", tags=("pills",), lang="fr",
                     answer="Au sec et au frais.")
    e1, e2 = promote(app, people, q1), promote(app, people, q2)

    def shown(path):
        html = anon_client.get(path).get_data(as_text=True)
        return {e for e in (e1, e2) if f'href="/faq/{e}"' in html}, html

    assert shown("/faq?tag=pills")[0] == {e2}
    assert shown("/faq?lang=en")[0] == {e1}
    assert shown("/faq?q=conserver")[0] == {e2}
    assert shown("/faq?q=buffer")[0] == {e1}  # the answer's text is searched too
    assert shown("/faq?group=west-africa")[0] == {e1, e2}
    found, html = shown("/faq?group=nowhere")
    assert found == set() and "No FAQ entry matches these filters." in html
    # The packet links carry the filters.
    _, html = shown("/faq?tag=pills&lang=fr")
    assert 'href="/faq/packet.html?tag=pills&amp;lang=fr"' in html


def test_faq_list_shows_the_readers_language_first(app, people, make_question, make_post,
                                                   make_user):
    q_fr, _ = answered(app, make_question, make_post, people, title="Question en français",
                       lang="fr", answer="Réponse.")
    q_en, _ = answered(app, make_question, make_post, people, title="Question in English")
    promote(app, people, q_fr)
    promote(app, people, q_en)  # newer: first for an English reader
    make_user("lecteur", locale="fr")
    french = login(app, "lecteur").get("/faq").get_data(as_text=True)
    assert french.index("Question en français") < french.index("Question in English")
    english = login(app, "member").get("/faq").get_data(as_text=True)
    assert english.index("Question in English") < english.index("Question en français")


def test_due_badge_shows_to_curators_only(app, people, make_question, make_post):
    q1, _ = answered(app, make_question, make_post, people)
    entry_id = promote(app, people, q1)
    with app.app_context(), unit_of_work():
        db.session.get(FaqEntry, entry_id).review_by = date.today() - timedelta(days=1)
    assert "due for review" in login(app, "groupmod").get("/faq").get_data(as_text=True)
    assert "due for review" not in login(app, "member").get("/faq").get_data(as_text=True)


# -- an entry -----------------------------------------------------------------------------


def test_entry_page_shows_the_curated_text_and_its_provenance(app, people, make_question,
                                                               make_post, anon_client):
    q1, a1 = answered(app, make_question, make_post, people)
    entry_id = promote(app, people, q1, summary="Order **early**.")
    html = anon_client.get(f"/faq/{entry_id}").get_data(as_text=True)
    assert "<strong>earlier</strong>" in html  # the answer's sanitized HTML
    assert "Our rural clinics run out of implants" in html  # the question
    assert "Order <strong>early</strong>." in html  # the summary
    assert "Last reviewed on" in html and "Next review by" in html
    assert 'href="/u/asker"' in html and 'href="/u/answerer"' in html
    assert f'href="/questions/{q1}#post-{a1}"' in html
    assert f'href="/faq/{entry_id}/revisions"' in html
    # Curator actions are for curators only.
    assert "Mark obsolete" not in html and "/edit" not in html
    member = login(app, "member").get(f"/faq/{entry_id}").get_data(as_text=True)
    assert "Mark obsolete" not in member and f"/faq/{entry_id}/verify" not in member
    for name in ("groupmod", "sitemod", "admin"):
        html = login(app, name).get(f"/faq/{entry_id}").get_data(as_text=True)
        for action in ("edit", "verify", "obsolete", "withdraw", "translation", "pin"):
            assert f'/faq/{entry_id}/{action}"' in html, (name, action)


def test_entry_links_the_chat_conversation_it_came_from(app, people, make_question,
                                                       make_post):
    q1, _ = answered(app, make_question, make_post, people)
    entry_id = promote(app, people, q1)
    with app.app_context():
        asker = db.session.get(User, people["asker"])
        room_id = chat.room_for_group(asker, "west-africa").id
        message_id = chat.send_message(asker, room_id, "Who has implants?", "c1")[0].id
    with app.app_context(), unit_of_work():
        found = db.session.get(FaqEntry, entry_id)
        found.chat_room_id, found.chat_message_id = room_id, message_id
    html = login(app, "member").get(f"/faq/{entry_id}").get_data(as_text=True)
    assert f'class="chat-source" href="/chat/messages/{message_id}"' in html


def test_partials_for_the_question_group_and_home_pages(app, people, make_question,
                                                         make_post):
    q1, _ = answered(app, make_question, make_post, people, title="Partial entry title")
    entry_id = promote(app, people, q1, summary="A *short* summary.")
    with app.test_request_context("/"), app.app_context():
        entries = faq.entries_for_group(None, 1, 5)
        html = render_template("faq/_list.html", faq_entries=entries,
                               faq_more_url="/faq?by=group&group=west-africa")
        assert f'href="/faq/{entry_id}">Partial entry title' in html
        assert "A short summary." in html and 'href="/faq?by=group&amp;group=west-africa"' in html
        assert render_template("faq/_list.html", faq_entries=[]).strip() == ""
        question = db.session.get(Question, q1)
        html = render_template("faq/_question.html", question=question,
                               faq_entries=faq.entries_for_question(None, q1),
                               faq_can_promote=True)
        assert "In the FAQ" in html and f'href="/faq/{entry_id}"' in html
        assert f'href="/questions/{q1}/faq"' in html


def test_later_edits_to_the_answer_show_as_source_changed_to_curators(app, people,
                                                                       make_question,
                                                                       make_post):
    q1, a1 = answered(app, make_question, make_post, people)
    entry_id = promote(app, people, q1)
    _as(app, people["answerer"], edit_post, a1,
        "Order **earlier** than you think.\nKeep a buffer of six months.")
    mod = login(app, "groupmod")
    html = mod.get(f"/faq/{entry_id}").get_data(as_text=True)
    assert "Source changed since promotion" in html
    assert "<del>Keep a buffer of three months.</del>" in html
    assert "<ins>Keep a buffer of six months.</ins>" in html
    assert "three months" in html.split('id="curation"')[0]  # the entry keeps its text
    member = login(app, "member").get(f"/faq/{entry_id}").get_data(as_text=True)
    assert "Source changed" not in member
    # Take the change in: the curated text follows, the notice goes.
    response = mod.post_form(f"/faq/{entry_id}/source/take", {}, page=f"/faq/{entry_id}")
    assert response.status_code == 302
    html = mod.get(f"/faq/{entry_id}").get_data(as_text=True)
    assert "Source changed" not in html and "six months" in html


def test_obsolete_entry_shows_the_note_and_the_replacement(app, people, make_question,
                                                           make_post, anon_client):
    q1, _ = answered(app, make_question, make_post, people)
    q2, _ = answered(app, make_question, make_post, people, title="Newer stock guidance")
    old, new = promote(app, people, q1), promote(app, people, q2)
    mod = login(app, "groupmod")
    response = mod.post_form(f"/faq/{old}/obsolete",
                             {"note": "Superseded by the 2026 guidance.",
                              "replaced_by": str(new)}, page=f"/faq/{old}")
    assert response.status_code == 302
    response = anon_client.get(f"/faq/{old}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "This entry is obsolete." in html and "Superseded by the 2026 guidance." in html
    assert f'class="replacement" href="/faq/{new}">Newer stock guidance' in html
    # It leaves the list.
    listing = anon_client.get("/faq").get_data(as_text=True)
    assert f'href="/faq/{old}"' not in listing and f'href="/faq/{new}"' in listing
    # A curator can restore it.
    response = mod.post_form(f"/faq/{old}/restore", {}, page=f"/faq/{old}")
    assert response.status_code == 302
    assert f'href="/faq/{old}"' in anon_client.get("/faq").get_data(as_text=True)


def test_withdrawn_entry_answers_410_with_its_note(app, people, make_question, make_post,
                                                   anon_client):
    q1, _ = answered(app, make_question, make_post, people)
    entry_id = promote(app, people, q1)
    mod = login(app, "groupmod")
    response = mod.post_form(f"/faq/{entry_id}/withdraw",
                             {"note": "Promoted by mistake: wrong thread."},
                             page=f"/faq/{entry_id}")
    assert response.status_code == 302
    for page in (anon_client, login(app, "member")):
        for path in (f"/faq/{entry_id}", f"/faq/{entry_id}/revisions"):
            response = page.get(path)
            assert response.status_code == 410, path
            assert "Promoted by mistake: wrong thread." in response.get_data(as_text=True)
    # Curators still see it, with its history kept.
    assert mod.get(f"/faq/{entry_id}").status_code == 200
    html = mod.get(f"/faq/{entry_id}/revisions").get_data(as_text=True)
    assert "Withdrawn" in html and "Promoted to the FAQ" in html


def test_refused_action_shows_the_form_again_with_422(app, people, make_question,
                                                       make_post):
    q1, _ = answered(app, make_question, make_post, people)
    entry_id = promote(app, people, q1)
    mod = login(app, "groupmod")
    response = mod.post_form(f"/faq/{entry_id}/obsolete",
                             {"note": "", "replaced_by": "999999"}, page=f"/faq/{entry_id}")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'value="999999"' in html and 'class="error"' in html
    with app.app_context():
        assert db.session.get(FaqEntry, entry_id).status == "current"


def test_translations_link_both_ways(app, people, make_question, make_post):
    q1, _ = answered(app, make_question, make_post, people)
    q2, _ = answered(app, make_question, make_post, people, title="Éviter les ruptures",
                     lang="fr", answer="Commander plus tôt.")
    en, fr = promote(app, people, q1), promote(app, people, q2)
    mod = login(app, "groupmod")
    response = mod.post_form(f"/faq/{en}/translation", {"other_id": str(fr)},
                             page=f"/faq/{en}")
    assert response.status_code == 302
    reader = PageClient(app.test_client())
    assert f'href="/faq/{fr}" lang="fr" hreflang="fr">Lire en français' in reader.get(
        f"/faq/{en}").get_data(as_text=True)
    assert f'href="/faq/{en}" lang="en" hreflang="en">Read in English' in reader.get(
        f"/faq/{fr}").get_data(as_text=True)
    response = mod.post_form(f"/faq/{en}/translation/unlink", {}, page=f"/faq/{en}")
    assert response.status_code == 302
    assert "Read in English" not in reader.get(f"/faq/{fr}").get_data(as_text=True)


def test_pins_order_a_groups_list(app, people, make_question, make_post):
    q1, _ = answered(app, make_question, make_post, people, title="First promoted question")
    q2, _ = answered(app, make_question, make_post, people, title="Second promoted question")
    e1, e2 = promote(app, people, q1), promote(app, people, q2)
    mod = login(app, "groupmod")
    path = "/faq?by=group&group=west-africa"
    html = mod.get(path).get_data(as_text=True)
    assert html.index("Second promoted") < html.index("First promoted")  # newest first
    for entry_id in (e1, e2):
        response = mod.post_form(f"/faq/{entry_id}/pin",
                                 {"scope": "group", "key": "west-africa"},
                                 page=f"/faq/{entry_id}")
        assert response.status_code == 302
    html = mod.get(path).get_data(as_text=True)
    assert html.index("First promoted") < html.index("Second promoted")  # pinned order
    response = mod.post_form(f"/faq/{e2}/move/up",
                             {"scope": "group", "key": "west-africa", "next": path},
                             page=path)
    assert response.status_code == 302 and response.headers["Location"].endswith(path)
    html = mod.get(path).get_data(as_text=True)
    assert html.index("Second promoted") < html.index("First promoted")


# -- promotion and curation forms ----------------------------------------------------------


def test_promotion_form_preselects_the_accepted_answer(app, people, make_question,
                                                       make_post):
    q1, accepted = answered(app, make_question, make_post, people)
    other = make_post(people["member"], question_id=q1, body="Ask the district store.")
    mod = login(app, "groupmod")
    html = mod.get(f"/questions/{q1}/faq").get_data(as_text=True)
    assert f'value="{accepted}" id="answer-{accepted}" checked' in html
    assert f'value="{other}" id="answer-{other}">' in html
    assert 'value="How do we avoid implant stock-outs?"' in html
    assert 'value="implants"' in html
    in_a_year = (date.today() + timedelta(days=365)).isoformat()
    assert f'value="{in_a_year}"' in html
    # Choosing the other answer promotes that one.
    response = mod.post_form(f"/questions/{q1}/faq", {
        "answer_id": str(other), "title": "Where to find implants quickly",
        "summary": "Ask **the district**.", "tags": "implants supply", "lang": "en",
        "review_by": (date.today() + timedelta(days=30)).isoformat(), "credited": "member"})
    assert response.status_code == 302
    with app.app_context():
        entry = db.session.scalar(db.select(FaqEntry))
        assert response.headers["Location"].endswith(f"/faq/{entry.id}")
        assert entry.answer_id == other and entry.title == "Where to find implants quickly"
        assert sorted(t.name for t in entry.tags) == ["implants", "supply"]
        assert entry.review_by == date.today() + timedelta(days=30)


def test_promotion_form_refusal_keeps_the_input_with_422(app, people, make_question,
                                                         make_post):
    q1, accepted = answered(app, make_question, make_post, people)
    mod = login(app, "groupmod")
    response = mod.post_form(f"/questions/{q1}/faq", {
        "answer_id": str(accepted), "title": "Kept title", "summary": "Kept *summary*",
        "tags": "implants", "lang": "en", "review_by": "2001-01-01",
        "credited": "nobody-by-this-name"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'value="Kept title"' in html and "Kept *summary*" in html
    assert 'value="2001-01-01"' in html and 'class="error"' in html
    assert f'value="{accepted}" id="answer-{accepted}" checked' in html
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(FaqEntry.id))) == 0


@pytest.mark.parametrize("who, status", [
    ("member", 403), ("answerer", 403), (None, 302), ("groupmod", 200), ("sitemod", 200),
    ("admin", 200)])
def test_promotion_form_is_for_curators(app, people, make_question, make_post, who, status):
    q1, _ = answered(app, make_question, make_post, people)
    page = login(app, who) if who else PageClient(app.test_client())
    assert page.get(f"/questions/{q1}/faq").status_code == status


def test_members_cannot_post_curation_actions(app, people, make_question, make_post):
    q1, _ = answered(app, make_question, make_post, people)
    entry_id = promote(app, people, q1)
    member = login(app, "member")
    for action, data in (("verify", {}), ("obsolete", {"note": "x"}),
                         ("withdraw", {"note": "x"}), ("source/keep", {}),
                         ("pin", {"scope": "group", "key": "west-africa"})):
        response = member.post_form(f"/faq/{entry_id}/{action}", data, page=f"/faq/{entry_id}")
        assert response.status_code == 403, action
    assert member.get(f"/faq/{entry_id}/edit").status_code == 403
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(FaqRevision.id))) == 1


def test_edit_page_saves_a_revision_and_refuses_with_422(app, people, make_question,
                                                         make_post):
    q1, _ = answered(app, make_question, make_post, people)
    entry_id = promote(app, people, q1)
    mod = login(app, "groupmod")
    html = mod.get(f"/faq/{entry_id}/edit").get_data(as_text=True)
    assert "Keep a buffer of three months." in html
    form = {"title": "Avoiding implant stock-outs", "summary": "", "tags": "implants",
            "question": "Our clinics run out.", "lang": "en",
            "answer": "Order earlier.\nKeep a buffer of four months.", "review_by": ""}
    response = mod.post_form(f"/faq/{entry_id}/edit", form)
    assert response.status_code == 302
    html = mod.get(f"/faq/{entry_id}/revisions").get_data(as_text=True)
    assert "Revision 2" in html and "Edited" in html
    assert "<del>Keep a buffer of three months.</del>" in html
    assert "<ins>Keep a buffer of four months.</ins>" in html
    response = mod.post_form(f"/faq/{entry_id}/edit", {**form, "title": ""})
    assert response.status_code == 422
    assert "four months" in response.get_data(as_text=True)


def test_review_queue_lists_due_and_source_changed_entries(app, people, make_question,
                                                           make_post):
    q1, a1 = answered(app, make_question, make_post, people, title="Due entry title")
    q2, a2 = answered(app, make_question, make_post, people, title="Changed entry title")
    q3, _ = answered(app, make_question, make_post, people, title="Fresh entry title")
    due, changed, _fresh = (promote(app, people, q) for q in (q1, q2, q3))
    with app.app_context(), unit_of_work():
        db.session.get(FaqEntry, due).review_by = date.today() - timedelta(days=3)
    _as(app, people["answerer"], edit_post, a2, "A completely new answer text.")
    html = login(app, "groupmod").get("/faq/review").get_data(as_text=True)
    assert "Due entry title" in html and "Changed entry title" in html
    assert "Fresh entry title" not in html
    assert "due for review" in html and "source changed since promotion" in html
    assert login(app, "member").get("/faq/review").status_code == 403
    assert PageClient(app.test_client()).get("/faq/review").status_code == 302


# -- feed and private groups ---------------------------------------------------------------


def test_feed_lists_public_entries(app, private_people, make_question, make_post,
                                   anon_client):
    people = private_people
    q1, _ = answered(app, make_question, make_post, people, title="Public feed entry")
    q2, _ = answered(app, make_question, make_post, people, group="secret-clinic",
                     title="Canary zebra in the feed", answer="zebra answer")
    e1 = promote(app, people, q1)
    promote(app, people, q2, who="admin")
    response = anon_client.get("/faq/feed")
    assert response.status_code == 200 and response.mimetype == "application/atom+xml"
    xml = response.get_data(as_text=True)
    assert "Public feed entry" in xml and f"http://localhost/faq/{e1}" in xml
    assert "zebra" not in xml.lower()


def test_private_group_entries_never_show_to_outsiders(app, private_people, make_question,
                                                       make_post, anon_client):
    people = private_people
    q1, _ = answered(app, make_question, make_post, people, group="secret-clinic",
                     title="Canary zebra question", tags=("zebra-tag",),
                     answer="The zebra answer.")
    entry_id = promote(app, people, q1, who="admin")
    member = login(app, "member")
    for page in (anon_client, member):
        for path in ("/faq", "/faq?by=group", "/faq?q=zebra", "/faq?tag=zebra-tag",
                     "/faq?group=secret-clinic", "/faq/feed"):
            html = page.get(path).get_data(as_text=True).lower()
            # (the query and filters themselves are echoed back in the form)
            for canary in ("canary zebra question", "the zebra answer", "zebra-tag</a>",
                           f'href="/faq/{entry_id}"', 'value="secret-clinic"'):
                assert canary not in html, (path, canary)
        assert page.get(f"/faq/{entry_id}").status_code == 404
        assert page.get(f"/faq/{entry_id}/revisions").status_code == 404
    insider = login(app, "asker")
    html = insider.get("/faq?by=group").get_data(as_text=True)
    assert "Canary zebra question" in html and 'value="secret-clinic"' in html
    assert insider.get(f"/faq/{entry_id}").status_code == 200


# -- fixed query counts --------------------------------------------------------------------


def _count_queries(app, page, path) -> int:
    with app.app_context():
        engine = db.engine
    statements = []

    def before(conn, cursor, statement, parameters, context, executemany):
        if not statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK",
                                                      "SAVEPOINT", "RELEASE")):
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", before)
    try:
        response = page.get(path)
    finally:
        event.remove(engine, "before_cursor_execute", before)
    assert response.status_code == 200, path
    return len(statements)


def _many_entries(app, people, start, stop):
    """Entries start..stop-1 written straight as rows (each with its own tag and the
    contributors of a promotion), faster than promoting each thread."""
    with app.app_context():
        question_id = db.session.scalar(db.select(Post.question_id))
    with app.app_context(), unit_of_work():
        for n in range(start, stop):
            entry = FaqEntry(
                question_id=question_id, group_id=1, title=f"Entry number {n:03d}",
                lang="fr" if n % 2 else "en", summary_source="s", summary_html="<p>s</p>",
                question_source="q", question_html="<p>q</p>", answer_source="a",
                answer_html="<p>a</p>", search_text="q a", markup_version=4,
                source_answer_seen="a", promoted_by_id=people["sitemod"],
                reviewed_by_id=people["sitemod"],
                review_by=date.today() - timedelta(days=n % 3))
            tag = Tag(name=f"faqtag-{n}")
            db.session.add_all([entry, tag])
            db.session.flush()
            db.session.add(FaqEntryTag(entry_id=entry.id, tag_id=tag.id))
            db.session.add(FaqContributor(entry_id=entry.id, user_id=people["answerer"],
                                          role="answerer"))


def test_faq_list_takes_the_same_queries_for_3_and_30_entries(app, people, make_question,
                                                              make_post):
    q1, _ = answered(app, make_question, make_post, people)
    promote(app, people, q1)
    _many_entries(app, people, 1, 3)
    paths = ["/faq", "/faq?by=group", "/faq?group=west-africa", "/faq?tag=implants",
             "/faq?q=entry"]
    readers = {"anon": PageClient(app.test_client()), "mod": login(app, "groupmod")}
    small = {(who, path): _count_queries(app, page, path)
             for who, page in readers.items() for path in paths}
    _many_entries(app, people, 3, 30)
    for (who, path), count in small.items():
        assert _count_queries(app, readers[who], path) == count, (who, path)
    html = readers["mod"].get("/faq?per_page=100").get_data(as_text=True)
    assert html.count('class="faq-item"') >= 30
