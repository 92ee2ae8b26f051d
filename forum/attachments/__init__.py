"""Files: serving attachments, the upload page (images in posts without JavaScript) and
the moderators' removal of one file (docs/attachments.md)."""

from flask import Blueprint

bp = Blueprint("attachments", __name__)

from forum.attachments import routes  # noqa: E402,F401
