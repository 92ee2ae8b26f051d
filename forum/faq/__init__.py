"""The curated FAQ's pages: the list (by tag and by group), entries, promotion, the
moderators' review queue, feeds and offline packets."""

from flask import Blueprint

bp = Blueprint("faq", __name__)

from forum.faq import curation, packets, pages  # noqa: E402,F401
