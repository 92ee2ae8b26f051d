"""The JSON API, version 1 (see docs/api.md), and its OpenAPI description."""

from flask import Blueprint

bp = Blueprint("api", __name__)

from forum.api import (  # noqa: E402,F401
    chat,
    experts,
    exports,
    faq,
    flags,
    follows,
    groups,
    moderation,
    notifications,
    openapi,
    qa,
    routing,
    search,
    uploads,
    users,
)
