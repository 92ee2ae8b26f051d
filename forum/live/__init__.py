"""The /live Socket.IO namespace: read-only updates of pages, open to anonymous readers."""

from flask import Blueprint

bp = Blueprint("live", __name__)

from forum.live import events  # noqa: E402,F401
