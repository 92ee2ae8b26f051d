"""Live chat: the /chat Socket.IO namespace (pages come later)."""

from flask import Blueprint

bp = Blueprint("chat", __name__)

from forum.chat import events  # noqa: E402,F401
