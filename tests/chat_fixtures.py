"""Fixtures shared by the chat test modules: people, their group's room, a private room and
a logged-in page client. Import the ones a module uses (pytest finds them by name)."""

import pytest

from forum.extensions import db
from forum.models import User
from forum.services import chat
from tests.helpers import PageClient

PASSWORD = "correct horse battery"


@pytest.fixture
def people(make_user):
    """Account ids: members of west-africa (asker, helper, peer, mod), and others."""
    return {name: make_user(name, role=role, display_name=name.title()) for name, role in
            [("asker", "member"), ("helper", "member"), ("peer", "member"),
             ("mod", "moderator"), ("outsider", "member"), ("insider", "member"),
             ("admin", "admin")]}


@pytest.fixture
def room(app, people, group, join):
    """The id of west-africa's chat room; asker, helper, peer and mod are members."""
    for name in ("asker", "helper", "peer", "mod"):
        join(people[name], group)
    with app.app_context():
        return chat.room_for_group(db.session.get(User, people["asker"]), group).id


@pytest.fixture
def secret_room(app, people, make_group, join):
    """The room of a private group whose only member is `insider`."""
    slug = make_group("inner-circle", private=True)
    join(people["insider"], slug, private=True)
    with app.app_context():
        return chat.room_for_group(db.session.get(User, people["insider"]), slug).id


@pytest.fixture
def login(app):
    """A PageClient logged in through the login page as the given username."""

    def do(username):
        page = PageClient(app.test_client())
        page.login(username, PASSWORD)
        return page

    return do
