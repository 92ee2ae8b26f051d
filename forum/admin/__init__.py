"""Admin pages: people (search, roles, suspensions), groups (create, edit, moderators) and
the site's settings (name, welcome text, default language, open or invitation-only
registration)."""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from forum.admin import routes  # noqa: E402,F401
