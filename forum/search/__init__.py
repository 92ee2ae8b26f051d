"""Pages of search."""

from flask import Blueprint

bp = Blueprint("search", __name__)

from forum.search import moderators, routes  # noqa: E402,F401
