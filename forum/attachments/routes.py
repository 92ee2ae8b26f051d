"""Serving files from a path nobody can guess, with headers that keep them inert: a download
(images inline), no sniffing, a sandboxing CSP. Thin views over forum.services.attachments."""

import io

from flask import g, jsonify, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from flask_wtf import FlaskForm
from wtforms import FileField, StringField

from forum.attachments import bp
from forum.errors import InvalidInput, PermissionDenied, ServiceError, json_error
from forum.extensions import db
from forum.models import Post
from forum.pages import check_form, error_headers, me, show_on_form
from forum.schemas import attachment_json
from forum.services import attachments as files

FORM_OVERHEAD = 64 * 1024  # the multipart envelope and the other fields of a form
# Pages whose forms carry files: their body may be larger than MAX_CONTENT_LENGTH.
UPLOAD_ENDPOINTS = {"attachments.upload", "api.upload", "qa.ask", "qa.post_answer",
                    "qa.post_reply", "chat.post_message"}
MAX_FORM_FILES = 5  # files in one form post (the service's per-post limit applies too)
FILE_CSP = "default-src 'none'; sandbox"
TOKEN = "<string(minlength=22,maxlength=32):token>"


bp.add_app_template_global(files.human_size, "file_size")


def allow_uploads():
    """Raise the body limit for the pages that take files (before the body is read)."""
    if request.endpoint in UPLOAD_ENDPOINTS and request.method == "POST":
        count = 1 if request.endpoint in ("attachments.upload", "api.upload") \
            else MAX_FORM_FILES
        request.max_content_length = count * files.setting("ATTACH_MAX_BYTES") + FORM_OVERHEAD


# First of all the app's before-request hooks: CSRFProtect's hook (installed before any
# blueprint) reads the form, and with it the body, under the site's smaller limit.
bp.record_once(lambda state: state.app.before_request_funcs.setdefault(None, []).insert(
    0, allow_uploads))


@bp.after_app_request
def file_caching(response):
    """Files never change under their token: let browsers keep them (privately when not
    public), which the site-wide `private, no-store` for signed-in readers would forbid.
    Runs after the site's header hook (registered before it)."""
    cache = g.pop("file_cache_control", None)
    if cache and response.status_code in (200, 206, 304):
        response.headers["Cache-Control"] = cache
    return response


def _serve(token: str, *, thumb: bool):
    user = me()
    attachment = files.get_for_reading(user, token)
    data = files.read_bytes(attachment, thumb=thumb)
    image = attachment.kind == "image"
    response = send_file(
        io.BytesIO(data), mimetype="image/jpeg" if thumb else attachment.content_type,
        as_attachment=not image, download_name=attachment.filename,
        etag=attachment.sha256 + ("-t" if thumb else ""), conditional=True,
        last_modified=attachment.created_at, max_age=None)
    response.headers["Content-Security-Policy"] = FILE_CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cross-Origin-Resource-Policy"] = "same-origin"
    g.file_cache_control = ("public, max-age=3600" if files.is_public(attachment)
                            else "private, max-age=3600")
    return response


@bp.route(f"/files/{TOKEN}")
def file(token):
    return _serve(token, thumb=False)


@bp.route(f"/files/{TOKEN}/thumb")
def thumb(token):
    return _serve(token, thumb=True)


class UploadForm(FlaskForm):
    file = FileField(_l("File"))


class RemoveForm(FlaskForm):
    reason = StringField(_l("Reason"))


@bp.route("/files/upload", methods=["GET", "POST"])
@login_required
def upload():
    """Upload one file without JavaScript; the page gives back the Markdown to paste."""
    form = UploadForm()
    done, status, headers = None, 200, {}
    # The editor's script (static/js/attach.js) asks for JSON: the attachment object.
    wants_json = request.accept_mimetypes.best == "application/json"
    if request.method == "POST":
        check_form(form)
        sent = request.files.getlist("file")
        try:
            if len(sent) != 1 or not sent[0].filename:
                raise InvalidInput(fields={"file": _("Choose a file.")})
            data = sent[0].read(files.setting("ATTACH_MAX_BYTES") + 1)
            done = files.store_upload(me(), sent[0].filename, data,
                                      declared_type=sent[0].mimetype)
        except ServiceError as error:
            if wants_json:
                return json_error(error.status, error.code, error.message, error.fields,
                                  error_headers(error))
            status, headers = show_on_form(form, error)
        else:
            if wants_json:
                return jsonify(attachment_json(done)), 201
    return render_template("attachments/upload.html", form=form, done=done,
                           markdown=files.markdown_of(done) if done else "",
                           size=files.human_size(done.size) if done else ""), status, headers


@bp.route(f"/files/{TOKEN}/remove", methods=["GET", "POST"])
@login_required
def remove(token):
    """A moderator removes one file (audited); back to its thread."""
    user = me()
    attachment = files.get_for_reading(user, token)
    form = RemoveForm()
    status, headers = 200, {}
    if request.method == "POST":
        check_form(form)
        try:
            files.remove_attachment(user, token, reason=form.reason.data)
        except ServiceError as error:
            status, headers = show_on_form(form, error)
        else:
            return redirect(_back_to(attachment))
    elif not files.may_remove(user, attachment):
        raise PermissionDenied(_("Only moderators can remove files."))
    return render_template("attachments/remove.html", form=form, attachment=attachment,
                           size=files.human_size(attachment.size),
                           back=_back_to(attachment)), status, headers


def _back_to(attachment) -> str:
    if attachment.question_id:
        return url_for("qa.question", question_id=attachment.question_id)
    if attachment.post_id:
        post = db.session.get(Post, attachment.post_id)
        if post is not None:
            return url_for("qa.question", question_id=post.question_id,
                           post=post.id, _anchor=f"post-{post.id}")
    return url_for("main.index")
