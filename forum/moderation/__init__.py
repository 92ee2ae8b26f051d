"""Pages for the people who run the communities: flags and the moderation queue, actions on
questions, posts, chat messages and people, the audit log, and the knowledge-gap view."""

from flask import Blueprint

bp = Blueprint("moderation", __name__)

from forum.moderation import actions, exports, insight, queue  # noqa: E402,F401
