"""Pages of a member's notifications: the list, mark read, mark all read."""

from flask import Blueprint

bp = Blueprint("notifications", __name__)

from forum.notifications import routes  # noqa: E402,F401
