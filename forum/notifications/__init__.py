"""Pages of a member's notifications (the list, mark read, mark all read) and of what they
get by mail (settings, one-click unsubscribe)."""

from flask import Blueprint

bp = Blueprint("notifications", __name__)

from forum.notifications import mail_settings, routes  # noqa: E402,F401
