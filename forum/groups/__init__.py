"""Pages of groups."""

from flask import Blueprint

bp = Blueprint("groups", __name__)

from forum.groups import routes  # noqa: E402,F401
