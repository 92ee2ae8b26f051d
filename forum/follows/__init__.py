"""Pages for following groups, tags, questions and people: the Following page and the
follow/unfollow/level forms."""

from flask import Blueprint

bp = Blueprint("follows", __name__)

from forum.follows import routes  # noqa: E402,F401
