"""API: uploading a file (multipart), to attach it when posting (docs/attachments.md)."""

from functools import wraps

from flask import jsonify, request
from flask_babel import gettext as _

from forum.api import bp, spec
from forum.api.common import current_api_user, token_required
from forum.api.spec import AUTH_ERRORS, SECURED, _error_response, _json
from forum.errors import BadRequest, InvalidInput
from forum.schemas import attachment_json
from forum.services import attachments as files

FORM_OVERHEAD = 64 * 1024  # the multipart envelope around the file


def upload_body_first(view):
    """Read the multipart body (up to the file size limit, else 413) before the token lookup
    opens a transaction, as body_first does for JSON."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        request.max_content_length = files.setting("ATTACH_MAX_BYTES") + FORM_OVERHEAD
        request.files  # noqa: B018  (parses the form: spooled to a temporary file)
        return view(*args, **kwargs)

    return wrapper


@bp.post("/v1/uploads")
@upload_body_first
@token_required
def upload():
    if not request.mimetype.startswith("multipart/form-data"):
        raise BadRequest(_("Send the file as multipart/form-data, in a field named file."))
    sent = request.files.getlist("file")
    if len(sent) != 1 or not sent[0].filename:
        raise InvalidInput(fields={"file": _("Send one file, in a field named file.")})
    upload = sent[0]
    data = upload.read(files.setting("ATTACH_MAX_BYTES") + 1)
    attachment = files.store_upload(current_api_user(), upload.filename, data,
                                    declared_type=upload.mimetype)
    response = jsonify(attachment_json(attachment))
    response.headers["Location"] = f"/files/{attachment.token}"
    return response, 201


OPENAPI_PATHS = {
    "/api/v1/uploads": {
        "post": {
            "summary": "Upload one file (PDF, Office/OpenDocument, JPEG, PNG, WebP); attach it "
                       "by id when asking, answering, replying or chatting",
            "security": SECURED,
            "requestBody": {
                "required": True,
                "content": {"multipart/form-data": {"schema": {
                    "type": "object", "required": ["file"],
                    "properties": {"file": {"type": "string", "format": "binary"}}}}},
            },
            "responses": {
                "201": _json("Attachment", "Stored, pending until a post attaches it"),
                "400": _error_response("Not multipart/form-data (bad_request)"),
                "413": _error_response("Over the size limit (too_large), or your or the "
                                       "site's storage is full (quota_exceeded)"),
                "422": _error_response("Not a file we accept, or not what it claims to be "
                                       "(invalid), with fields.file"),
                **AUTH_ERRORS,
            },
        },
    },
}
OPENAPI_SCHEMAS = {
    "Attachment": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "filename": {"type": "string"},
            "content_type": {"type": "string"},
            "kind": {"enum": ["image", "pdf", "document"]},
            "size": {"type": "integer", "description": "bytes"},
            "width": {"type": ["integer", "null"]},
            "height": {"type": ["integer", "null"]},
            "url": {"type": "string", "description": "/files/<token>"},
            "thumbnail_url": {"type": ["string", "null"], "description": "images only"},
            "markdown": {"type": "string",
                         "description": "what to paste in a body to show or link the file"},
        },
        "required": ["id", "filename", "content_type", "kind", "size", "url"],
    },
}

spec.describe(paths=OPENAPI_PATHS, schemas=OPENAPI_SCHEMAS)
