"""GET /admin/export: the public content of the site as one JSON file, streamed
(administrators only; forum.services.exports authorizes and reads in batches)."""

from flask import Response, stream_with_context
from flask_login import login_required

from forum.models import utcnow
from forum.moderation import bp
from forum.pages import me
from forum.services import exports


def export_response(chunks, filename: str) -> Response:
    """A JSON download: attachment, never stored by a cache."""
    response = Response(stream_with_context(chunks), mimetype="application/json")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


def public_filename() -> str:
    return f"tacit-export-{utcnow().date().isoformat()}.json"


@bp.route("/admin/export")
@login_required
def admin_export():
    return export_response(exports.public_export(me()), public_filename())
