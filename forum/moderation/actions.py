"""Moderator action pages: one small form page per action (hide and restore a question, an
answer or reply, a chat message; lock, close, move a question; suspend or ban a member).

Thin views: each GET authorizes through the service's loader (403 or 404 before any form
is shown), each POST calls one service of forum.services.moderation; a refusal comes back
next to its field with the input kept (422), never as a 500.
"""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from forum.errors import ServiceError
from forum.moderation import bp
from forum.moderation.action_forms import (
    CloseForm,
    MoveForm,
    ReasonForm,
    SuspendForm,
    UnsuspendForm,
)
from forum.pages import check_form, me, show_on_form
from forum.services import moderation, premoderation
from forum.services.accounts import get_user_by_username
from forum.services.inputs import MAX_ID

QUESTION_ACTIONS = ("hide", "restore", "lock", "unlock", "close", "reopen", "move", "approve",
                    "reject")
REASON_REQUIRED = ("hide", "lock", "reject")
PREMODERATION = ("approve", "reject")


@bp.app_template_global("is_suspended")
def is_suspended(user) -> bool:
    """Whether an account is suspended or banned now (profile and action pages)."""
    return moderation.is_suspended(user)


def _done(action: str) -> str:
    return {
        "hide": _("Hidden. Its author sees why."),
        "restore": _("Shown again."),
        "lock": _("The thread is locked."),
        "unlock": _("The thread is unlocked."),
        "close": _("The question is closed."),
        "reopen": _("The question is reopened."),
        "move": _("The question is moved."),
        "approve": _("Approved: it is published and its readers are told."),
        "reject": _("Rejected: it stays hidden and its author sees why."),
    }[action]


def _titles() -> dict:
    return {
        "hide": _("Hide"), "restore": _("Restore"), "lock": _("Lock the thread"),
        "unlock": _("Unlock the thread"), "close": _("Close the question"),
        "reopen": _("Reopen the question"), "move": _("Move the question"),
        "approve": _("Approve"), "reject": _("Reject"),
    }


@bp.route(f"/moderation/questions/<int(max={MAX_ID}):question_id>/<action>",
          methods=["GET", "POST"])
@login_required
def question_action(question_id, action):
    if action not in QUESTION_ACTIONS:
        abort(404)
    user = me()
    question = moderation.moderated_question(user, question_id)
    if action == "close":
        form = CloseForm()
    elif action == "move":
        form = MoveForm()
        form.group.choices = [("", _("Choose a group…"))] + [
            (g.slug, g.name) for g in moderation.move_targets(user, question)]
    else:
        form = ReasonForm()
    status, headers = 200, {}
    if request.method == "POST":
        check_form(form)
        try:
            if action == "close":
                moderation.close(user, question_id, form.reason.data,
                                 duplicate_of=form.duplicate_of.data or None,
                                 note=form.note.data or None)
            elif action == "move":
                moderation.move(user, question_id, form.group.data, form.reason.data)
            elif action in ("hide", "restore"):
                getattr(moderation, action)(user, "question", question_id, form.reason.data)
            elif action in PREMODERATION:
                getattr(premoderation, action)(user, "question", question_id,
                                               form.reason.data)
            else:
                getattr(moderation, action)(user, question_id, form.reason.data)
        except ServiceError as error:
            status, headers = show_on_form(form, error)
        else:
            flash(_done(action), "success")
            return redirect(url_for("qa.question", question_id=question_id))
    return render_template("moderation/action_question.html", form=form, q=question,
                           action=action, title=_titles()[action],
                           reason_required=action in REASON_REQUIRED), status, headers


def _item_action(target_type: str, target_id: int, action: str):
    user = me()
    loader = (moderation.moderated_post if target_type == "post"
              else moderation.moderated_message)
    item = loader(user, target_id)
    form = ReasonForm()
    status, headers = 200, {}
    if request.method == "POST":
        check_form(form)
        try:
            service = premoderation if action in PREMODERATION else moderation
            getattr(service, action)(user, target_type, target_id, form.reason.data)
        except ServiceError as error:
            status, headers = show_on_form(form, error)
        else:
            flash(_done(action), "success")
            if target_type == "post":
                return redirect(url_for("qa.question", question_id=item.question_id,
                                        _anchor=f"post-{item.id}"))
            return redirect(url_for("chat.message", message_id=item.id))
    return render_template("moderation/action_item.html", form=form, item=item,
                           target_type=target_type, action=action,
                           title=_titles()[action],
                           reason_required=action in REASON_REQUIRED), status, headers


# Short: the hide link is printed on every post of a long thread (the 60 KB page budget).
POST = f"/posts/<int(max={MAX_ID}):post_id>"
MESSAGE = f"/moderation/chat/messages/<int(max={MAX_ID}):message_id>"


@bp.route(f"{POST}/hide", methods=["GET", "POST"])
@login_required
def hide_post(post_id):
    return _item_action("post", post_id, "hide")


@bp.route(f"{POST}/restore", methods=["GET", "POST"])
@login_required
def restore_post(post_id):
    return _item_action("post", post_id, "restore")


@bp.route(f"{POST}/approve", methods=["GET", "POST"])
@login_required
def approve_post(post_id):
    return _item_action("post", post_id, "approve")


@bp.route(f"{POST}/reject", methods=["GET", "POST"])
@login_required
def reject_post(post_id):
    return _item_action("post", post_id, "reject")


@bp.route(f"{MESSAGE}/hide", methods=["GET", "POST"])
@login_required
def hide_message(message_id):
    return _item_action("chat_message", message_id, "hide")


@bp.route(f"{MESSAGE}/restore", methods=["GET", "POST"])
@login_required
def restore_message(message_id):
    return _item_action("chat_message", message_id, "restore")


@bp.route("/moderation/users/<username>/suspension", methods=["GET", "POST"])
@login_required
def suspension(username):
    user = me()
    person = get_user_by_username(username)
    suspend_form, unsuspend_form = SuspendForm(), UnsuspendForm()
    moderation.check_suspendable(user, person)  # 403 before any form is shown
    status, headers = 200, {}
    if request.method == "POST":
        lifting = request.form.get("action") == "unsuspend"
        form = unsuspend_form if lifting else suspend_form
        check_form(form)
        try:
            if lifting:
                moderation.unsuspend(user, username, form.reason.data)
            else:
                moderation.suspend(user, username, days=form.days.data or None,
                                   ban=bool(form.ban.data), reason=form.reason.data)
        except ServiceError as error:
            status, headers = show_on_form(form, error)
        else:
            flash(_("The suspension is lifted.") if lifting
                  else _("The account is suspended."), "success")
            return redirect(url_for("experts.profile", username=person.username))
    return render_template("moderation/action_suspension.html", person=person,
                           suspend_form=suspend_form, unsuspend_form=unsuspend_form,
                           suspended=moderation.is_suspended(person),
                           banned=moderation.is_banned(person)), status, headers
