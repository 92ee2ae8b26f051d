"""Pages about people: profiles (/u/<username>), the expert directory (/experts), and
questions routed to experts (the asker's "people who could help", the expert's own list)."""

from flask import Blueprint

bp = Blueprint("experts", __name__)

from forum.experts import directory, profiles, routing  # noqa: E402,F401
