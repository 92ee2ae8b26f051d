"""Live chat: the pages (views.py: room list, rooms with a no-JavaScript composer, editing,
deleting, turning chat into a question) and the /chat Socket.IO namespace (events.py)."""

from flask import Blueprint

bp = Blueprint("chat", __name__)

from forum.chat import events, views  # noqa: E402,F401
