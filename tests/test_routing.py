"""Routing questions to people (issue 12): who may ask whom (the asker asks suggested
people; group and site moderators route by hand), the "routed" notifications and their
mail, the question page's "People who could help" box, the ask form's invitation, the
expert's "Questions for you" page and home section, the API, and what posting costs.

Budget: about 20 s.
"""

import pytest
from sqlalchemy import func, select

from forum.extensions import db
from forum.models import GroupMembership, Notification, Question, QuestionRoute, User
from forum.services import routing
from forum.services.groups import remove_member
from forum.services.mailing import update_mail_settings
from forum.services.profiles import update_profile
from forum.services.qa import ask_question
from forum.services.uow import unit_of_work
from tests.helpers import ApiClient, PageClient
from tests.test_query_counts import counting, queries_for

PASSWORD = "correct horse battery"
CANARY = "Pangolin-canary-8841"
IMPLANTS = "How do we avoid implant stock-outs in the rainy season?"


@pytest.fixture
def app_config():
    return {"RATE_LIMITS": False}


def _profile(app, user_id, **fields):
    with app.app_context():
        user = db.session.get(User, user_id)
        update_profile(user, user, system=True, **fields)


@pytest.fixture
def world(app, make_user, make_group, join, make_question, make_post):
    """Grace asks about implants in West Africa; Awa and Kofi declared implants (Kofi takes
    no routing mail), Pat too but paused; Gina moderates the group, Sam the site."""
    ids = {name: make_user(name, display_name=name.title(), email_confirmed=True,
                           role={"sam": "moderator", "admin": "admin"}.get(name, "member"))
           for name in ("grace", "awa", "kofi", "pat", "peer", "gina", "sam", "admin")}
    make_group("west-africa", name="West Africa", region="West Africa")
    make_group("inner", name="Inner circle", region="West Africa", private=True)
    for name in ("grace", "awa", "gina"):
        join(ids[name], "west-africa")
    for name in ("grace", "awa"):
        join(ids[name], "inner", private=True)
    with app.app_context(), unit_of_work() as session:
        session.scalars(select(GroupMembership).where(
            GroupMembership.user_id == ids["gina"])).one().role = "moderator"
    ids["old"] = make_question(ids["peer"], "west-africa", title="Earlier on implant supply",
                               tags=("implants",))
    _profile(app, ids["awa"], expertise=["implants"], languages=["fr", "wo"],
             region="West Africa")
    _profile(app, ids["kofi"], expertise=["implants"], languages=["en"], region="Ghana")
    _profile(app, ids["pat"], expertise=["implants"], routing_paused=True)
    _profile(app, ids["grace"], languages=["fr"])
    with app.app_context():
        update_mail_settings(db.session.get(User, ids["kofi"]), {"routed": "off"})
    ids["q"] = make_question(ids["grace"], "west-africa", title=IMPLANTS, lang="fr")
    ids["secret"] = make_question(ids["grace"], "inner", title=f"{CANARY} implant audit")
    return ids


def _page(app, name=None) -> PageClient:
    page = PageClient(app.test_client())
    if name:
        page.login(name, PASSWORD)
    return page


def _api(app, name=None) -> ApiClient:
    client = ApiClient(app.test_client())
    if name:
        client.login(name, PASSWORD)
    return client


def _routes(app, question_id) -> dict[str, str]:
    with app.app_context():
        return {user.username: route.state for route, user in db.session.execute(
            select(QuestionRoute, User).join(User, User.id == QuestionRoute.user_id)
            .where(QuestionRoute.question_id == question_id))}


def _routed_notes(app, user_id) -> list[Notification]:
    with app.app_context():
        return db.session.scalars(select(Notification).where(
            Notification.user_id == user_id, Notification.kind == "routed")).all()


def test_posting_a_question_stores_its_suggested_people_best_first(app, world):
    assert _routes(app, world["q"]) == {"awa": "suggested", "kofi": "suggested"}
    with app.app_context():
        ranks = dict(db.session.execute(
            select(User.username, QuestionRoute.rank)
            .join(User, User.id == QuestionRoute.user_id)
            .where(QuestionRoute.question_id == world["q"])).all())
    assert ranks == {"awa": 1, "kofi": 2}  # region and a shared language
    # The private group's question goes to its members only (Kofi is not one).
    assert _routes(app, world["secret"]) == {"awa": "suggested"}


@pytest.mark.parametrize(("who", "suggested", "by_hand"), [
    ("grace", 200, 422),   # the asker: suggested people only
    ("peer", 403, 403),
    ("gina", 200, 200),    # moderator of the question's group
    ("sam", 200, 200),     # site moderator
    (None, 401, 401),
])
def test_who_may_ask_suggested_people_and_route_by_hand(app, world, who, suggested, by_hand):
    api = _api(app, who)
    path = f"/api/v1/questions/{world['q']}/experts"
    response = api.post(path, {"usernames": ["awa"]})
    assert response.status_code == suggested, response.get_json()
    response = api.post(path, {"usernames": ["peer"]})
    assert response.status_code == by_hand, response.get_json()
    routes = _routes(app, world["q"])
    assert routes["awa"] == ("asked" if suggested == 200 else "suggested")
    assert routes.get("peer") == ("asked" if by_hand == 200 else None)
    if by_hand == 422:
        assert "usernames" in response.get_json()["error"]["fields"]


@pytest.mark.parametrize(("who", "status", "asked"), [
    ("grace", 302, True), ("peer", 403, False), ("gina", 302, True), ("sam", 302, True),
    (None, 302, False),  # to the login page
])
def test_the_ask_them_button_follows_the_same_rules(app, world, who, status, asked):
    page = _page(app, who)
    path = f"/questions/{world['q']}"
    response = page.post_form(f"{path}/experts/ask", {"usernames": ["awa", "kofi"]},
                              page=path)
    assert response.status_code == status
    states = _routes(app, world["q"])
    assert (states == {"awa": "asked", "kofi": "asked"}) is asked
    if who is None:
        assert "/login" in response.headers["Location"]


def test_asked_people_are_notified_and_mailed_as_their_settings_say_once(app, world,
                                                                        outbox):
    api = _api(app, "grace")
    before = len(outbox.messages())
    response = api.post(f"/api/v1/questions/{world['q']}/experts",
                        {"usernames": ["awa", "kofi"]})
    assert response.status_code == 200
    assert [u["username"] for u in response.get_json()["asked"]] == ["awa", "kofi"]
    for name in ("awa", "kofi"):
        notes = _routed_notes(app, world[name])
        assert len(notes) == 1
        assert notes[0].text.startswith("Grace asks for your help: How do we avoid implant")
        assert notes[0].url == f"/questions/{world['q']}"
    mails = outbox.messages()[before:]
    assert [m["To"] for m in mails] == ["awa@example.org"]  # Kofi turned routing mail off
    assert "Grace asks for your help" in mails[0].get_content()
    # Asking again (or a moderator asking too) changes nothing and notifies nobody.
    assert api.post(f"/api/v1/questions/{world['q']}/experts",
                    {"usernames": ["awa"]}).status_code == 200
    _api(app, "sam").post(f"/api/v1/questions/{world['q']}/experts", {"usernames": ["awa"]})
    assert len(_routed_notes(app, world["awa"])) == 1
    assert len(outbox.messages()) == before + 1


@pytest.mark.parametrize(("usernames", "why"), [
    (["nobody-here"], "There is no member nobody-here."),
    (["pat"], "Pat has paused questions routed to them."),
    (["grace"], "You cannot ask yourself."),
    (["awa", "nobody-here"], "There is no member nobody-here."),  # all or nothing
    ([], "Choose at least one person."),
    ("awa", None),  # not a list: a string is split into names
    ([1, 2], "Must be a list of usernames."),
])
def test_bad_usernames_are_refused_with_422_and_change_nothing(app, world, usernames, why):
    api = _api(app, "sam")
    response = api.post(f"/api/v1/questions/{world['q']}/experts", {"usernames": usernames})
    if why is None:
        assert response.status_code == 200
        return
    assert response.status_code == 422, response.get_json()
    assert why in response.get_json()["error"]["fields"]["usernames"]
    assert _routes(app, world["q"]) == {"awa": "suggested", "kofi": "suggested"}
    assert _routed_notes(app, world["awa"]) == []


def test_nobody_is_routed_a_private_question_they_cannot_read(app, world):
    response = _api(app, "sam").post(f"/api/v1/questions/{world['secret']}/experts",
                                     {"usernames": ["kofi"]})
    assert response.status_code == 404  # Sam is not a member: he cannot read it either
    response = _api(app, "admin").post(f"/api/v1/questions/{world['secret']}/experts",
                                       {"usernames": ["kofi"]})
    assert response.status_code == 422
    assert "Kofi cannot read questions of this group." in response.get_json()["error"]["fields"][
        "usernames"]
    assert _routed_notes(app, world["kofi"]) == []
    # The suggestions of a private question are as hidden as the question.
    for client in (_api(app), _api(app, "kofi")):
        response = client.get(f"/api/v1/questions/{world['secret']}/suggested-experts")
        assert response.status_code == 404
        assert CANARY not in response.get_data(as_text=True)


def test_the_box_shows_only_to_the_asker_and_moderators(app, world):
    path = f"/questions/{world['q']}"
    asker = _page(app, "grace").get(path).get_data(as_text=True)
    assert "People who could help" in asker and "Ask them" in asker
    box = asker.split('id="experts"', 1)[1].split("</section>", 1)[0]
    assert 'href="/u/awa"' in box and 'href="/u/kofi"' in box and "/u/pat" not in box
    assert "works in West Africa" in box and "speaks French" in box
    assert box.count('name="usernames"') == 2 and box.count(" checked") == 2
    assert "Route to (username)" not in asker
    moderator = _page(app, "gina").get(path).get_data(as_text=True)
    assert "People who could help" in moderator and "Route to (username)" in moderator
    for who in ("peer", "awa", None):
        assert "People who could help" not in _page(app, who).get(path).get_data(as_text=True)
    # Once asked, a person shows as asked, without a checkbox.
    _api(app, "grace").post(f"/api/v1/questions/{world['q']}/experts", {"usernames": ["awa"]})
    box = _page(app, "grace").get(path).get_data(as_text=True).split('id="experts"', 1)[1]
    box = box.split("</section>", 1)[0]
    assert box.count('name="usernames"') == 1 and 'class="asked"' in box


def test_a_moderator_routes_by_hand_from_the_question_page(app, world):
    page = _page(app, "gina")
    path = f"/questions/{world['q']}"
    response = page.post_form(f"{path}/experts/route", {"username": "peer"}, page=path)
    assert response.status_code == 302
    assert _routes(app, world["q"])["peer"] == "asked"
    assert len(_routed_notes(app, world["peer"])) == 1
    routed = _page(app, "peer").get("/routed").get_data(as_text=True)
    assert IMPLANTS in routed and 'routed to you by <a class="author" href="/u/gina"' in routed
    response = page.post_form(f"{path}/experts/route", {"username": "pat"}, page=path)
    assert response.status_code == 302
    assert "pat" not in _routes(app, world["q"])
    assert "Pat has paused questions routed to them." in page.get(path).get_data(as_text=True)


def test_ask_an_expert_invites_them_from_the_ask_form(app, world):
    page = _page(app, "grace")
    form = page.get("/questions/ask?invite=kofi").get_data(as_text=True)
    assert "You are asking Kofi." in form
    response = page.post_form("/questions/ask", {
        "title": "Which stock card works for implants?", "body": "We lose track of batches.",
        "group": "west-africa", "tags": "implants", "lang": "en", "invite": "kofi",
        "action": "post"}, page="/questions/ask?invite=kofi")
    assert response.status_code == 302
    question_id = int(response.headers["Location"].rsplit("/", 1)[1])
    assert _routes(app, question_id)["kofi"] == "asked"
    assert len(_routed_notes(app, world["kofi"])) == 1


@pytest.mark.parametrize(("invite", "group", "why"), [
    ("pat", "west-africa", "Pat has paused questions routed to them."),
    ("kofi", "inner", "Kofi cannot read questions of this group."),
])
def test_an_invitation_that_cannot_be_kept_is_refused_keeping_the_text(app, world, invite,
                                                                       group, why):
    page = _page(app, "grace")
    with app.app_context():
        before = db.session.scalar(select(func.count()).select_from(Question))
    response = page.post_form("/questions/ask", {
        "title": "Who can check our implant records?", "body": "Typed-body-kept-3141",
        "group": group, "tags": "implants", "lang": "en", "invite": invite,
        "action": "post"}, page=f"/questions/ask?invite={invite}")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert why in html and "Typed-body-kept-3141" in html
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Question)) == before


def test_questions_for_you_lists_open_routed_questions_and_pauses(app, world, make_post):
    _api(app, "grace").post(f"/api/v1/questions/{world['q']}/experts", {"usernames": ["awa"]})
    _api(app, "grace").post(f"/api/v1/questions/{world['secret']}/experts",
                            {"usernames": ["awa"]})
    page = _page(app, "awa")
    html = page.get("/routed").get_data(as_text=True)
    assert IMPLANTS in html and CANARY in html
    assert "asked by" in html and "routed to you by" not in html  # the asker asked
    assert "Why you: " in html and "works in West Africa" in html
    home = page.get("/").get_data(as_text=True)
    assert "Questions for you" in home and IMPLANTS in home
    items = _api(app, "awa").get("/api/v1/me/routed").get_json()["items"]
    assert {item["id"] for item in items} == {world["q"], world["secret"]}
    assert items[0]["asked_by"] == "grace" and "West Africa" in items[0]["why"]
    # Leaving the private group takes its question off every list.
    with app.app_context():
        remove_member(db.session.get(User, world["admin"]), "inner", "awa")
    assert CANARY not in page.get("/routed").get_data(as_text=True)
    assert CANARY not in page.get("/").get_data(as_text=True)
    assert CANARY not in _api(app, "awa").get("/api/v1/me/routed").get_data(as_text=True)
    # Answering takes a question off the list.
    make_post(world["awa"], question_id=world["q"], body="Order a quarter ahead.")
    assert IMPLANTS not in page.get("/routed").get_data(as_text=True)
    assert "Questions for you" not in page.get("/").get_data(as_text=True)
    # Pause, then resume.
    response = page.post_form("/routed/pause", {"paused": "1"}, page="/routed")
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(User, world["awa"]).routing_paused is True
    assert "Resume routing to me" in page.get("/routed").get_data(as_text=True)
    page.post_form("/routed/pause", {"paused": "0"}, page="/routed")
    with app.app_context():
        assert db.session.get(User, world["awa"]).routing_paused is False


def test_suggested_experts_api_says_why_in_the_request_language(app, world):
    path = f"/api/v1/questions/{world['q']}/suggested-experts"
    items = _api(app).get(path).get_json()["items"]
    assert [(i["username"], i["asked"]) for i in items] == [("awa", False), ("kofi", False)]
    assert "email" not in items[0]
    assert items[0]["why"] == "expertise in implants, works in West Africa, speaks French"
    french = _api(app).get(path, headers={"Accept-Language": "fr"}).get_json()["items"]
    assert "français" in french[0]["why"]  # the language's name in the request's language
    _api(app, "grace").post(f"/api/v1/questions/{world['q']}/experts", {"usernames": ["awa"]})
    items = _api(app, "peer").get(path).get_json()["items"]
    assert items[0]["asked"] is True
    assert _api(app).get("/api/v1/me/routed").status_code == 401
    assert _api(app).get("/api/v1/questions/999999/suggested-experts").status_code == 404


def test_the_home_page_takes_the_same_queries_with_few_and_many_routed(app, world):
    page = _page(app, "awa")

    def route_more(start, stop):
        with app.app_context():
            grace = db.session.get(User, world["grace"])
            for n in range(start, stop):
                ask_question(grace, title=f"Routed question number {n} on implants",
                             body="Any advice?", group="west-africa",
                             tags=["implants", f"t{n}"], invite=["awa"], system=True)

    route_more(0, 1)
    few = queries_for(app, page, "/")
    route_more(1, 8)
    many = queries_for(app, page, "/")
    assert len(many) == len(few), (len(few), len(many))
    assert len(many) <= 16, many
    html = page.get("/").get_data(as_text=True)
    section = html.split('<section class="routed">', 1)[1].split("</section>", 1)[0]
    assert section.count("Routed question number") == 5  # the home page shows five
    assert len(queries_for(app, page, "/routed")) == len(queries_for(app, page, "/routed"))


def test_routing_adds_a_fixed_handful_of_statements_to_posting(app, world):
    def post(n, invite=None):
        with app.app_context():
            grace = db.session.get(User, world["grace"])
            with counting(app) as seen:
                question = ask_question(grace, title=f"Counting statements, question {n}",
                                        body="Any advice?", group="west-africa",
                                        tags=["implants"], invite=invite, system=True)
            question = db.session.get(Question, question.id)
            question.tags  # noqa: B018 (ask_question has them in memory)
            question.group  # noqa: B018
            with counting(app) as ranking:
                routing.rank(question)
            return len(seen), len(ranking)

    total, ranking = post(1)
    # What suggest() adds to posting: the ranking and one INSERT of the routes.
    print("ask_question statements:", total, "of which routing:", ranking + 1)
    assert ranking + 1 <= 8
    total_invite, _ranking = post(2, invite=["kofi"])
    print("with an invitation:", total_invite)
    assert total_invite - total <= 8


def test_the_box_and_the_suggestions_api_take_fixed_queries(app, world, make_user):
    page, path = _page(app, "grace"), f"/questions/{world['q']}"
    api_path = f"/api/v1/questions/{world['q']}/suggested-experts"
    api = _api(app)
    few_page = queries_for(app, page, path)
    with counting(app) as few_api:
        assert len(api.get(api_path).get_json()["items"]) == 2
    extra = [make_user(f"helper{n}") for n in range(3)]
    for user_id in extra:
        _profile(app, user_id, expertise=["implants"], languages=["fr", "en"])
    with app.app_context(), unit_of_work() as session:
        session.add_all(QuestionRoute(question_id=world["q"], user_id=user_id, rank=3 + n,
                                      why=[["expertise", ["implants"]]])
                        for n, user_id in enumerate(extra))
    many_page = queries_for(app, page, path)
    with counting(app) as many_api:
        assert len(api.get(api_path).get_json()["items"]) == 5
    assert len(many_page) == len(few_page), (len(few_page), len(many_page))
    assert len(many_api) == len(few_api), (len(few_api), len(many_api))
    assert page.get(path).get_data(as_text=True).count('name="usernames"') == 5
