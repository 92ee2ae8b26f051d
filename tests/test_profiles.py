"""Profile pages (/u/<username>): what they show and to whom (never a private group's
content to outsiders, never an email address), the edit form, the verified-expert badge,
and author names that link to profiles. Budget: about 30 s."""

import re
from contextlib import contextmanager

import pytest
from sqlalchemy import event, select

from forum.extensions import db
from forum.models import User
from forum.services import chat, profiles
from forum.services.accounts import delete_account
from forum.services.qa import accept_answer
from tests.helpers import PageClient

PASSWORD = "correct horse battery"
CANARY = "Zanzibarcanary"


def page_for(app, username):
    """A page client logged in as `username`."""
    page = PageClient(app.test_client())
    page.login(username, PASSWORD)
    return page


def user_row(app, username) -> User:
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == username))
        db.session.expunge(user)
        return user


def profile_of(app, username) -> dict:
    """What the database holds of a profile (to check that a refusal changed nothing)."""
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == username))
        return {"display_name": user.display_name, "title": user.title,
                "organization": user.organization, "region": user.region,
                "country": user.country, "bio": user.bio_source,
                "languages": user.languages, "expertise": user.expertise,
                "directory_hidden": user.directory_hidden,
                "routing_paused": user.routing_paused, "verified": user.verified_expert,
                "note": user.verified_note, "verified_by_id": user.verified_by_id}


def set_profile(app, username, **fields):
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == username))
        profiles.update_profile(user, user, system=True, **fields)


@pytest.fixture
def helper(app, make_user, group, join, make_question, make_post):
    """`helper` (Aminata Diallo): a midwife trainer with a full profile, one accepted answer
    and one question in the public group."""
    asker = make_user("asker")
    helper_id = make_user("helper", display_name="Aminata Diallo")
    make_user("admin", role="admin")
    make_user("mod", role="moderator")
    make_user("member")
    join(helper_id, group)
    question = make_question(asker, group, title="Implant removal in rural clinics",
                             tags=("implants", "training"))
    answer = make_post(helper_id, question_id=question, body="Train two nurses per site.")
    make_question(helper_id, group, title="Stock cards for district stores",
                  tags=("supply-chain",))
    with app.app_context():
        accept_answer(db.session.get(User, asker), question, answer)
    set_profile(app, "helper", title="Midwife trainer", organization="Santé Sahel",
                region="West Africa", country="Senegal", bio="Trains **midwives**.",
                languages=["fr", "wo"], expertise=["implants", "training"])
    return helper_id


def test_a_profile_shows_the_person_their_numbers_and_recent_posts(helper, anon_client):
    html = anon_client.get("/u/helper").get_data(as_text=True)
    for text in ("Aminata Diallo", "@helper", "Midwife trainer", "Santé Sahel",
                 "West Africa, Senegal", "French", "Wolof", "<strong>midwives</strong>",
                 "1 answer<", "1 accepted answer<", "Implant removal in rural clinics",
                 "Stock cards for district stores", "West Africa</a>"):
        assert text in html, text
    assert 'href="/tags/implants"' in html and 'href="/tags/training"' in html
    assert "helper@example.org" not in html and "verified expert" not in html
    french = anon_client.get("/u/helper?lang=fr").get_data(as_text=True)
    assert "français" in french and "wolof" in french


def test_people_hidden_from_the_directory_keep_their_profile_page(app, helper, anon_client):
    set_profile(app, "helper", directory_hidden=True, routing_paused=True)
    response = anon_client.get("/u/helper")
    assert response.status_code == 200 and "Aminata Diallo" in response.get_data(as_text=True)


def test_no_page_shows_an_email_address_to_others(app, helper, anon_client):
    for page in (anon_client, page_for(app, "member"), page_for(app, "mod")):
        assert "helper@example.org" not in page.get("/u/helper").get_data(as_text=True)


def test_unknown_and_deleted_accounts_have_no_profile(app, helper, anon_client):
    assert anon_client.get("/u/nobody").status_code == 404
    with app.app_context():
        delete_account(db.session.get(User, helper), PASSWORD)
    assert anon_client.get("/u/helper").status_code == 404
    assert page_for(app, "admin").get("/u/helper").status_code == 404


def test_a_private_groups_questions_and_counts_show_to_fellow_members_only(
        app, helper, make_group, join, make_user, make_question, make_post, anon_client):
    make_group("secret-circle", name=f"{CANARY} circle", private=True)
    fellow = make_user("fellow")
    join(helper, "secret-circle", private=True)
    join(fellow, "secret-circle", private=True)
    private_q = make_question(fellow, "secret-circle", title=f"{CANARY} question here",
                              tags=("implants",))
    make_post(helper, question_id=private_q, body="A private answer.")
    make_question(helper, "secret-circle", title=f"{CANARY} asked by helper",
                  tags=("implants",))
    for outsider in (anon_client, page_for(app, "member"), page_for(app, "mod")):
        html = outsider.get("/u/helper").get_data(as_text=True)
        assert CANARY not in html and "secret-circle" not in html
        assert "1 answer<" in html and "2 answers" not in html
    for insider in (page_for(app, "fellow"), page_for(app, "admin")):
        html = insider.get("/u/helper").get_data(as_text=True)
        assert f"{CANARY} question here" in html and f"{CANARY} asked by helper" in html
        assert f"{CANARY} circle" in html and "2 answers<" in html


def test_an_area_of_expertise_only_private_questions_carry_is_not_named_to_outsiders(
        app, helper, make_group, join, make_question, anon_client):
    make_group("secret-circle", private=True)
    join(helper, "secret-circle", private=True)
    # An admin may bring a new tag into use (members need reputation for that).
    make_question(user_row(app, "admin").id, "secret-circle",
                  title="Only asked in this private circle", tags=("zanzibarcanary",))
    set_profile(app, "helper", expertise=["implants", "zanzibarcanary"])
    assert "zanzibarcanary" not in anon_client.get("/u/helper").get_data(as_text=True)
    assert "zanzibarcanary" in page_for(app, "helper").get("/u/helper").get_data(as_text=True)


def test_the_buttons_fit_the_reader(app, helper, anon_client):
    anonymous = anon_client.get("/u/helper").get_data(as_text=True)
    assert 'action="/chat/direct"' not in anonymous and "/u/helper/edit" not in anonymous
    assert 'href="/questions/ask?invite=helper"' in anonymous
    member = page_for(app, "member")
    html = member.get("/u/helper").get_data(as_text=True)
    assert 'action="/chat/direct"' in html and 'name="username" value="helper"' in html
    assert 'action="/following/user/helper"' in html and "/u/helper/edit" not in html
    assert 'id="verify"' not in html
    response = member.post_form("/chat/direct", {"username": "helper"}, page="/u/helper")
    assert response.status_code == 302 and "/chat/rooms/" in response.headers["Location"]
    own = page_for(app, "helper").get("/u/helper").get_data(as_text=True)
    assert 'href="/u/helper/edit"' in own and 'action="/chat/direct"' not in own
    assert "invite=helper" not in own
    account = page_for(app, "helper").get("/account").get_data(as_text=True)
    assert 'href="/u/helper/edit"' in account and 'name="display_name"' not in account


GOOD_EDIT = {"display_name": "Aminata D.", "title": "Senior midwife trainer",
             "organization": "Santé Sahel", "region": "West Africa", "country": "Senegal",
             "bio": "Trains *midwives*.", "languages": ["fr", "wo", "en"],
             "expertise": "training, implants", "directory_hidden": "y"}


def test_the_owner_saves_every_field_of_the_edit_form(app, helper):
    page = page_for(app, "helper")
    response = page.post_form("/u/helper/edit", GOOD_EDIT)
    assert response.status_code == 302 and response.headers["Location"].endswith("/u/helper")
    saved = profile_of(app, "helper")
    assert saved["display_name"] == "Aminata D." and saved["title"] == "Senior midwife trainer"
    assert saved["languages"] == ["fr", "wo", "en"]
    assert saved["expertise"] == ["implants", "training"]
    assert saved["directory_hidden"] is True and saved["routing_paused"] is False
    form = page.get("/u/helper/edit").get_data(as_text=True)
    assert 'value="training, implants"' in form or 'value="implants, training"' in form
    assert 'checked id="directory_hidden"' in form and 'checked id="routing_paused"' not in form
    assert re.search(r'checked id="languages-\d+" name="languages" type="checkbox" value="wo"',
                     form)


@pytest.mark.parametrize(("change", "field", "message"), [
    ({"expertise": "implants, nosuchtag"}, "expertise", "nosuchtag"),
    ({"expertise": " ".join(f"tag{n}" for n in range(11))}, "expertise", "At most 10"),
    ({"languages": ["fr", "xx"]}, "languages", "Unknown language code: xx"),
])
def test_bad_edits_are_422_keep_what_was_typed_and_change_nothing(app, helper, make_question,
                                                                  change, field, message):
    with app.app_context():
        asker = db.session.scalar(select(User.id).where(User.username == "asker"))
    for start in range(0, 11, 5):
        make_question(asker, "west-africa", title=f"Tags {start} to {start + 4} here",
                      tags=tuple(f"tag{n}" for n in range(start, min(start + 5, 11))))
    before = profile_of(app, "helper")
    response = page_for(app, "helper").post_form("/u/helper/edit", {**GOOD_EDIT, **change})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert f'id="{field}-error"' in html and message in html
    assert 'value="Senior midwife trainer"' in html and "Trains *midwives*." in html
    assert re.search(r'checked id="languages-\d+" name="languages" type="checkbox" value="fr"',
                     html)
    assert profile_of(app, "helper") == before


def test_the_edit_form_needs_its_csrf_token(app, helper):
    page = page_for(app, "helper")
    before = profile_of(app, "helper")
    assert page.client.post("/u/helper/edit", data=GOOD_EDIT).status_code == 400
    assert page.client.post("/u/helper/edit", data={**GOOD_EDIT, "csrf_token": "forged"}
                            ).status_code == 400
    assert profile_of(app, "helper") == before


@pytest.mark.parametrize(("who", "status"), [
    ("anonymous", 302), ("member", 403), ("mod", 403), ("helper", 200), ("admin", 200)])
def test_only_the_owner_and_admins_edit_a_profile(app, helper, anon_client, who, status):
    page = anon_client if who == "anonymous" else page_for(app, who)
    assert page.get("/u/helper/edit").status_code == status
    before = profile_of(app, "helper")
    response = page.post_form("/u/helper/edit", {**GOOD_EDIT, "title": "Changed"},
                              page="/u/helper")
    assert response.status_code == (302 if status in (200, 302) else status)
    assert (profile_of(app, "helper")["title"] == "Changed") is (status == 200)
    if status != 200:
        assert profile_of(app, "helper") == before


@pytest.mark.parametrize(("who", "status"), [
    ("anonymous", 302), ("member", 403), ("helper", 403), ("mod", 302), ("admin", 302)])
def test_only_moderators_grant_and_remove_the_badge(app, helper, anon_client, who, status):
    page = anon_client if who == "anonymous" else page_for(app, who)
    granted = page.post_form("/u/helper/verified",
                             {"verified": "1", "note": "Trained 200 midwives."},
                             page="/u/helper")
    assert granted.status_code == status
    state = profile_of(app, "helper")
    allowed = who in ("mod", "admin")
    assert state["verified"] is allowed
    if not allowed:
        assert "/login" in granted.headers.get("Location", "/login")
        return
    assert state["note"] == "Trained 200 midwives."
    assert state["verified_by_id"] == user_row(app, who).id
    removed = page.post_form("/u/helper/verified", {"verified": "0", "note": "Left the field."},
                             page="/u/helper")
    assert removed.status_code == 302
    assert profile_of(app, "helper")["verified"] is False
    assert profile_of(app, "helper")["note"] == "Left the field."


@pytest.mark.parametrize("note", ["", "   ", "x" * 501])
def test_the_badge_needs_a_note_of_at_most_500_characters(app, helper, note):
    page = page_for(app, "mod")
    before = profile_of(app, "helper")
    response = page.post_form("/u/helper/verified", {"verified": "1", "note": note},
                              page="/u/helper")
    assert response.status_code == 422
    assert 'id="verified-note-error"' in response.get_data(as_text=True)
    assert profile_of(app, "helper") == before


def test_everyone_sees_the_badge_and_moderators_also_the_note(app, helper, anon_client):
    page_for(app, "mod").post_form("/u/helper/verified",
                                   {"verified": "1", "note": "Trained 200 midwives."},
                                   page="/u/helper")
    assert "verified expert" in anon_client.get("/u/helper").get_data(as_text=True)
    member = page_for(app, "member").get("/u/helper").get_data(as_text=True)
    assert "verified expert" in member and "Trained 200 midwives." not in member
    moderator = page_for(app, "admin").get("/u/helper").get_data(as_text=True)
    assert "Trained 200 midwives." in moderator and 'href="/u/mod"' in moderator


def test_author_names_link_to_profiles_with_badge_and_reputation(app, helper, group,
                                                                make_user, join, anon_client):
    with app.app_context():
        user = db.session.get(User, helper)
        reputation = user.reputation
        question_id = db.session.scalar(select(db.text("id")).select_from(
            db.text("questions")).where(db.text("title = 'Implant removal in rural clinics'")))
    page_for(app, "mod").post_form("/u/helper/verified", {"verified": "1", "note": "Known."},
                                   page="/u/helper")
    html = anon_client.get(f"/questions/{question_id}").get_data(as_text=True)
    assert ('<a class="author" href="/u/helper">Aminata Diallo</a> '
            '<span class="badge expert">verified expert</span> '
            f'<span class="rep" title="reputation">{reputation}</span>') in html
    assert reputation > 0 and '<a class="author" href="/u/asker">asker</a>' in html
    with app.app_context():
        user = db.session.get(User, helper)
        room = chat.room_for_group(user, group)
        chat.send_message(user, room.id, "Clinic opens at 9.", "c1")
        room_id = room.id
    join(user_row(app, "member").id, group)
    member = page_for(app, "member")
    chat_html = member.get(f"/chat/rooms/{room_id}").get_data(as_text=True)
    assert '<a class="author" href="/u/helper">Aminata Diallo</a>' in chat_html
    with app.app_context():
        delete_account(db.session.get(User, helper), PASSWORD)
    gone = anon_client.get(f"/questions/{question_id}").get_data(as_text=True)
    assert '<span class="author gone">deleted user</span>' in gone
    assert 'href="/u/helper"' not in gone


@contextmanager
def counting(app):
    """The SQL statements the app runs meanwhile (transaction control left out)."""
    with app.app_context():
        engine = db.engine
    statements = []

    def before(conn, cursor, statement, parameters, context, executemany):
        if not statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK",
                                                      "SAVEPOINT", "RELEASE")):
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", before)


def test_a_profile_takes_the_same_queries_with_2_or_20_answers(app, group, make_user,
                                                               make_question, make_post):
    asker = make_user("asker")
    small, large = make_user("small"), make_user("large")
    make_user("mod", role="moderator")
    questions = [make_question(asker, group, title=f"Question number {n} on supplies",
                               tags=(f"tag-{n}",)) for n in range(10)]
    for n in range(20):
        make_post(large, question_id=questions[n % 10], body=f"Answer {n}.")
        if n < 2:
            make_post(small, question_id=questions[n], body=f"Answer {n}.")
    set_profile(app, "small", languages=["fr"], expertise=["tag-1"])
    set_profile(app, "large", languages=["fr", "en", "wo"],
                expertise=[f"tag-{n}" for n in range(10)])
    reader = page_for(app, "mod")
    reader.get("/u/small")
    counts = {}
    for username in ("small", "large"):
        with counting(app) as statements:
            html = reader.get(f"/u/{username}").get_data(as_text=True)
        counts[username] = len(statements)
    assert html.count("#post-") == 10 and "20 answers" in html
    print(f"profile page: {counts} queries")
    assert counts["small"] == counts["large"], counts
