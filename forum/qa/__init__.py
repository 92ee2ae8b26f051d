"""Pages of qa."""

from flask import Blueprint

bp = Blueprint("qa", __name__)

from forum.qa import render, routes  # noqa: E402,F401

# The post markup's pieces (an author, a time, a vote box, tags, a language badge) for every
# template, chat's included: forum/qa/render.py is their only copy.
bp.record_once(lambda state: state.app.jinja_env.globals.update(render.TEMPLATE_GLOBALS))
