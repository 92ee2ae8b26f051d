"""Chat pages: the room list, a room (history, a composer that works without JavaScript),
editing and deleting messages, and turning a stretch of group chat into a question.

Thin views over forum.services.chat, like the Q&A pages. Every page works with plain forms;
forum/static/js/chat.js makes the room page live through the /chat socket. GET never writes
(tests/test_hardening.py fetches every route and compares every table): the room is marked
read by the script's socket `read` event, by posting in the room, or by the page's
"Mark as read" button.
"""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from flask_wtf import FlaskForm
from wtforms import HiddenField, MultipleFileField, StringField, TextAreaField

from forum import permissions
from forum.chat import bp
from forum.errors import InvalidInput, NotFound, PermissionDenied, ServiceError
from forum.markup import render_markdown
from forum.pages import ConfirmForm, check_form, error_headers, me, show_on_form
from forum.services import attachments as files
from forum.services import chat, inputs

ID = f"<int(max={inputs.MAX_ID}):%s>"
ROOM = "/chat/rooms/" + ID % "room_id"
MESSAGE = "/chat/messages/" + ID % "message_id"
PAGE = chat.HISTORY_DEFAULT
TITLE_HINT = 150  # characters of the message offered as the question's title

MAX_FORM_FILES = 5  # files in one message form (forum.attachments raises the body limit)


class MessageForm(FlaskForm):
    body = TextAreaField(_l("Message"), id="chat-body", render_kw={"rows": 3})
    # A fresh id per rendered form: a double submit is stored once (the service dedupes).
    client_id = HiddenField()
    # A file (no JavaScript needed: chat.js leaves a form with a file to the page).
    files = MultipleFileField(_l("Attach files"))


class EditMessageForm(FlaskForm):
    body = TextAreaField(_l("Message"), render_kw={"rows": 5})


class DirectForm(FlaskForm):
    username = StringField(_l("Username"), id="direct-username")


class ReadForm(FlaskForm):
    message_id = HiddenField()


class PromoteForm(FlaskForm):
    title = StringField(_l("Title"), id="title")
    tags = StringField(_l("Tags"))


def _id_arg(name: str) -> int | None:
    """A message id from the query string (0 included: ?after=0 is "from the start");
    anything else counts as absent."""
    return inputs.as_id(request.args.get(name), minimum=0)


def _id_value(raw: str):
    """A form value as a number when it is one; otherwise as sent, for the service to
    refuse (its id check names the field)."""
    number = inputs.as_int(raw)
    return raw if number is None else number


def _message_url(user, message) -> str:
    """The room page showing `message`: the latest page if it is there, else the page that
    starts with it."""
    later, more = chat.history(user, message.room_id, after=message.id, limit=PAGE)
    anchor = f"m-{message.id}"
    if not more and len(later) < PAGE:
        return url_for("chat.room", room_id=message.room_id, _anchor=anchor)
    return url_for("chat.room", room_id=message.room_id, after=message.id - 1, _anchor=anchor)


# -- the list of rooms --------------------------------------------------------------------


def _render_index(form=None, status: int = 200):
    user = me()
    rooms = chat.rooms_for(user)
    active = chat.last_activity([s.room.id for s in rooms])
    # Newest activity first; rooms nobody wrote in yet keep their order (groups, people).
    order = {s.room.id: n for n, s in enumerate(rooms)}
    rooms.sort(key=lambda s: (s.room.id not in active,
                              -active[s.room.id].timestamp() if s.room.id in active else 0,
                              order[s.room.id]))
    return render_template("chat/index.html", rooms=rooms, active=active,
                           form=form or DirectForm()), status


@bp.route("/chat")
@login_required
def index():
    return _render_index()


@bp.route("/chat/direct", methods=["POST"])
@login_required
def direct():
    form = DirectForm()
    check_form(form)
    try:
        room, _created = chat.open_direct(me(), (form.username.data or "").strip())
    except NotFound:
        form.username.errors = [_("No such user.")]
        return _render_index(form, 404)
    except ServiceError as error:
        status, _headers = show_on_form(form, error)
        return _render_index(form, status)
    return redirect(url_for("chat.room", room_id=room.id))


# -- a room ---------------------------------------------------------------------------------


def _render_room(room_id, *, form=None, status: int = 200, headers=None):
    user = me()
    room = chat.get_room(user, room_id)
    before, after = _id_arg("before"), _id_arg("after")
    if after is not None:
        messages, newer = chat.history(user, room.id, after=after)
        older = bool(messages) and bool(chat.history(user, room.id, before=messages[0].id,
                                                     limit=1)[0])
    else:
        messages, older = chat.history(user, room.id, before=before)
        newer = before is not None
    latest = before is None and after is None
    if form is None:
        form = MessageForm(client_id=chat.new_client_id())
    summary = chat.summarize(user, room)
    last_id = messages[-1].id if messages else None
    read_form = ReadForm(message_id=last_id) if latest and summary.unread and last_id else None
    return render_template(
        "chat/room.html", room=room, summary=summary, messages=messages, older=older,
        newer=newer, latest=latest, form=form, read_form=read_form,
        promotions=chat.promotions_in(messages), attached=files.for_history(messages),
        rules=chat, moderator=permissions.is_moderator(user),
        visiting=chat.visits_as_moderator(user, room)), status, headers or {}


@bp.route(ROOM)
@login_required
def room(room_id):
    return _render_room(room_id)


@bp.route(f"{ROOM}/messages", methods=["POST"])
@login_required
def post_message(room_id):
    user = me()
    form = MessageForm()
    check_form(form)
    try:
        message, _created = chat.send_and_mark_read(user, room_id, form.body.data or "",
                                                    form.client_id.data or "",
                                                    attachments=_form_files(user, form))
    except (NotFound, PermissionDenied) as error:
        # The room is gone for this user (left the group, say): say why, keep the text.
        return render_template("chat/unsent.html", error=error, body=form.body.data or ""), \
            error.status
    except ServiceError as error:
        status, headers = show_on_form(form, error)
        return _render_room(room_id, form=form, status=status, headers=headers)
    return redirect(url_for("chat.room", room_id=message.room_id, _anchor=f"m-{message.id}"))


def _form_files(user, form) -> list[int]:
    """Store the files the message form carries; their ids, to attach."""
    sent = [f for f in request.files.getlist(form.files.name) if f and f.filename]
    if len(sent) > MAX_FORM_FILES:
        raise InvalidInput(fields={"files": _("At most %(n)d files per post.",
                                              n=MAX_FORM_FILES)})
    ids = []
    for upload in sent:
        try:
            ids.append(files.store_upload(
                user, upload.filename, upload.read(files.setting("ATTACH_MAX_BYTES") + 1),
                declared_type=upload.mimetype).id)
        except ServiceError as error:
            raise type(error)(error.message, fields={
                "files": f"{upload.filename[:100]}: {error.message}"}) from None
    return ids


@bp.route(f"{ROOM}/read", methods=["POST"])
@login_required
def mark_read(room_id):
    form = ReadForm()
    check_form(form)
    try:
        chat.mark_read(me(), room_id, _id_value(form.message_id.data or ""))
    except InvalidInput:
        pass  # a stale button: nothing to mark
    return redirect(url_for("chat.room", room_id=room_id))


# -- one message ------------------------------------------------------------------------------


@bp.route(MESSAGE)
@login_required
def message(message_id):
    """Where a message is: its room's page, anchored at it."""
    user = me()
    found = chat.get_message(user, message_id)
    return redirect(_message_url(user, found))


def _own_message(user, message_id):
    found = chat.get_message(user, message_id)
    if found.is_deleted:
        raise NotFound(_("No such message."))
    if not chat.may_edit(user, found):
        raise PermissionDenied(_("You can only edit your own messages."))
    return found


@bp.route(f"{MESSAGE}/edit", methods=["GET", "POST"])
@login_required
def edit_message(message_id):
    user = me()
    found = _own_message(user, message_id)
    form = EditMessageForm(body=found.body_source)
    status, headers = 200, {}
    if request.method == "POST":
        check_form(form)
        try:
            chat.edit_message(user, message_id, form.body.data or "")
        except ServiceError as error:
            status, headers = show_on_form(form, error)
        else:
            flash(_("Your message is changed."), "success")
            return redirect(_message_url(user, found))
    return render_template("chat/edit.html", message=found, form=form), status, headers


@bp.route(f"{MESSAGE}/delete", methods=["GET", "POST"])
@login_required
def delete_message(message_id):
    user = me()
    # Only in a room the user may enter, moderators included: this page shows the message.
    found = chat.get_message(user, message_id)
    if not chat.may_delete(user, found):
        raise PermissionDenied(_("You can only delete your own messages."))
    if found.is_deleted:
        raise NotFound(_("No such message."))
    form = ConfirmForm()
    if request.method == "POST":
        check_form(form)
        chat.delete_message(user, message_id)
        flash(_("The message is deleted."), "success")
        return redirect(_message_url(user, found))
    back = url_for("chat.message", message_id=found.id)
    return render_template("chat/delete.html", message=found, form=form, back=back)


# -- turning chat into a question ------------------------------------------------------------


@bp.route(f"{ROOM}/promote", methods=["GET", "POST"])
@login_required
def promote(room_id):
    user = me()
    found_room = chat.get_room(user, room_id)
    message_id = _id_arg("from")
    if message_id is None:
        abort(404)
    asked = chat.get_message(user, message_id)
    if asked.room_id != found_room.id or asked.is_deleted or not found_room.is_group:
        raise NotFound(_("No such message."))
    if not chat.may_promote(user, asked):
        raise PermissionDenied(
            _("Only moderators or the author of the question can turn chat into a question."))
    if asked.promoted_question_id is not None:
        flash(_("This message is part of a question already."), "info")
        return redirect(url_for("qa.question", question_id=asked.promoted_question_id))
    later, _more = chat.history(user, found_room.id, after=asked.id, limit=PAGE)
    choices = [m for m in later if not m.is_deleted and m.promoted_question_id is None]
    # The message's words without their Markdown, as a title to start from.
    words = " ".join(render_markdown(asked.body_source).text.split())
    form = PromoteForm(title=words[:TITLE_HINT])
    chosen = {_id_value(v) for v in request.form.getlist("answers")}
    status, headers, answers_error = 200, {}, None
    if request.method == "POST":
        check_form(form)
        answer_ids = sorted(v for v in chosen if isinstance(v, int))
        answer_ids += [v for v in chosen if not isinstance(v, int)]  # refused by the service
        try:
            question = chat.promote(user, found_room.id, asked.id, answer_ids,
                                    form.title.data or "", form.tags.data or "")
        except ServiceError as error:
            if error.status in (403, 404):
                raise
            fields = dict(error.fields or {})
            answers_error = fields.pop("answer_message_ids", None)
            status, headers = error.status, error_headers(error)
            for name, text in fields.items():
                field = getattr(form, name, None)
                if field is not None:
                    field.errors = [*list(field.errors or []), text]
                else:
                    flash(text, "error")
            if not error.fields:
                flash(error.message, "error")
        else:
            flash(_("The conversation is now a question, its answers credited to their "
                    "authors."), "success")
            return redirect(url_for("qa.question", question_id=question.id))
    return render_template("chat/promote.html", room=found_room, asked=asked,
                           choices=choices, chosen=chosen, form=form,
                           answers_error=answers_error,
                           most=chat.PROMOTE_ANSWERS_MAX), status, headers
