"""Accounts pages: register, log in and out, password change and reset, account deletion."""

from flask import Blueprint

bp = Blueprint("auth", __name__)

from forum.auth import routes  # noqa: E402,F401
