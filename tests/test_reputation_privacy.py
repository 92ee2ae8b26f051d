"""Reputation earned in private groups stays private (security issue 10, finding 9).

A canary vote and an accepted answer inside a private group must not move anything an
outsider can see (the API's user objects, the pages); the owner sees the private part on
their account page and in their own API view; recomputing from the votes gives the same
split.
"""

import pytest

from forum.extensions import db
from forum.models import User
from forum.services.accounts import issue_api_token
from forum.services.qa import accept_answer
from forum.services.reputation import expected_reputation, recompute_all
from forum.services.uow import unit_of_work
from forum.services.votes import vote_post, vote_question
from tests.helpers import ApiClient, PageClient

PASSWORD = "correct horse battery"


@pytest.fixture
def people(app, make_user, make_group, join, group):
    """Ids: helper, asker and voter (members of the private `secret-circle` too), outsider,
    and the admin who adds members."""
    found = {name: make_user(name, role=role) for name, role in
             [("helper", "member"), ("asker", "member"), ("voter", "member"),
              ("outsider", "member"), ("boss", "admin")]}
    make_group("secret-circle", private=True)
    for name in ("helper", "asker", "voter"):
        join(found[name], "secret-circle", private=True)
    return found


def as_user(app, user_id, service, *args):
    with app.app_context():
        return service(db.session.get(User, user_id), *args)


def token_of(app, user_id) -> str:
    with app.app_context():
        return issue_api_token(db.session.get(User, user_id))[0]


def reputations(app, user_id) -> tuple[int, int]:
    with app.app_context():
        user = db.session.get(User, user_id)
        return user.reputation, user.private_reputation


def test_a_vote_in_a_private_group_changes_nothing_an_outsider_sees(app, people, group,
                                                                    make_question, make_post):
    public_q = make_question(people["asker"], group, title="A public question on stock")
    public_a = make_post(people["helper"], question_id=public_q, body="A public answer.")
    as_user(app, people["voter"], vote_post, public_a, 1)  # +10, public
    secret_q = make_question(people["helper"], "secret-circle",
                             title="Okapicanary question in the circle")
    asked = make_question(people["asker"], "secret-circle", title="Another okapicanary question")
    secret_a = make_post(people["helper"], question_id=asked, body="Okapicanary answer.")
    api = ApiClient(app.test_client())
    outsider = token_of(app, people["outsider"])
    views = {
        "anonymous": lambda: api.get("/api/v1/users/helper").get_json(),
        "outsider": lambda: api.get("/api/v1/users/helper", token=outsider).get_json(),
    }
    before = {name: view() for name, view in views.items()}
    assert before["anonymous"]["reputation"] == 10
    assert "private_reputation" not in before["anonymous"]
    assert before["outsider"] == before["anonymous"]

    # The canary: votes on the helper's question and answer, and an accepted answer, all in
    # the private group.
    as_user(app, people["voter"], vote_question, secret_q, 1)  # +5
    as_user(app, people["voter"], vote_post, secret_a, -1)  # -2
    as_user(app, people["asker"], accept_answer, asked, secret_a)  # +15
    assert reputations(app, people["helper"]) == (10, 18)
    assert {name: view() for name, view in views.items()} == before

    # The owner sees both, in their own API view and on their account page.
    mine = token_of(app, people["helper"])
    me = api.get("/api/v1/me", token=mine).get_json()
    assert (me["reputation"], me["private_reputation"]) == (10, 18)
    # /users/{username} is the public view, whoever asks.
    assert api.get("/api/v1/users/helper", token=mine).get_json() == before["anonymous"]
    page = PageClient(app.test_client())
    page.login("helper", PASSWORD)
    html = page.get("/account").get_data(as_text=True)
    assert ('<p id="reputation">Reputation: <strong>10</strong> (+18 in private groups, '
            "which only you see)</p>") in html
    # Someone without private points sees the public number only.
    other = PageClient(app.test_client())
    other.login("outsider", PASSWORD)
    assert '<p id="reputation">Reputation: <strong>0</strong></p>' in \
        other.get("/account").get_data(as_text=True)


def test_recompute_gives_the_same_split(app, people, group, make_question, make_post):
    public_q = make_question(people["asker"], group, title="A public question on stock")
    public_a = make_post(people["helper"], question_id=public_q, body="A public answer.")
    secret_q = make_question(people["asker"], "secret-circle",
                             title="Okapicanary question in the circle")
    secret_a = make_post(people["helper"], question_id=secret_q, body="Okapicanary answer.")
    as_user(app, people["voter"], vote_post, public_a, 1)
    as_user(app, people["voter"], vote_post, secret_a, 1)
    as_user(app, people["voter"], vote_question, secret_q, -1)
    as_user(app, people["asker"], accept_answer, secret_q, secret_a)
    assert reputations(app, people["helper"]) == (10, 25)
    assert reputations(app, people["asker"]) == (0, -2)
    with app.app_context():
        assert expected_reputation()[people["helper"]] == 10
        assert expected_reputation(private=True)[people["helper"]] == 25
        with unit_of_work():  # points counted on the public side, as before the split
            for user in db.session.scalars(db.select(User)):
                user.reputation += user.private_reputation
                user.private_reputation = 0
    result = app.test_cli_runner().invoke(args=["reputation", "recompute"])
    assert result.exit_code == 0 and "2 account(s) changed" in result.output
    assert reputations(app, people["helper"]) == (10, 25)
    assert reputations(app, people["asker"]) == (0, -2)
    with app.app_context():
        assert recompute_all() == 0
