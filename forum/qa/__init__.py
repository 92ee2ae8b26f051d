"""Pages of qa."""

from flask import Blueprint

bp = Blueprint("qa", __name__)

from forum.qa import routes  # noqa: E402,F401
