"""Flag and queue pages of the moderation blueprint: the flag form every member reaches from
an item, the moderation queue (each item in context, with its flags summed up), the audited
view of a flagged chat message, dismissing an item's flags, and the audit log (read only).
The services decide who may do and see what (forum.services.flags)."""

import logging

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from sqlalchemy.exc import SQLAlchemyError

from forum.errors import InvalidInput, NotFound, ServiceError
from forum.moderation import bp
from forum.moderation.forms import REASON_LABELS, DismissForm, FlagForm
from forum.pages import check_form, error_headers, me, show_on_form
from forum.services import flags, premoderation
from forum.services.inputs import as_id
from forum.services.paging import MAX_PAGE
from forum.services.uow import rollback
from forum.web import safe_next

log = logging.getLogger(__name__)
FLAG = "/flag/<target_type>/<int:target_id>"


def target_labels() -> dict[str, str]:
    """The kinds of things flags and audit entries are about, in the reader's language."""
    return {"question": _("question"), "post": _("answer or reply"),
            "chat_message": _("chat message"), "user": _("profile"), "group": _("group")}


@bp.app_context_processor
def moderation_helpers():
    """`moderation_nav()` for the header: None for those who moderate nothing, else the
    count of items with open flags they moderate (one query per request, kept on `g`)."""

    def moderation_nav():
        if "moderation_nav" not in g:
            try:
                g.moderation_nav = flags.open_flag_count(me())
            except SQLAlchemyError:  # an error page after a failed write: show it anyway
                log.exception("open flag count failed")
                rollback()
                g.moderation_nav = None
        return g.moderation_nav

    return {"moderation_nav": moderation_nav, "flag_reason_label": reason_label}


def reason_label(reason: str) -> str:
    """A flag reason in the reader's language."""
    return str(REASON_LABELS.get(reason, reason))


def item_url(target_type: str, item) -> str:
    """The page of a flagged item (a post: its question, anchored at it)."""
    if target_type == "question":
        return url_for("qa.question", question_id=item.id)
    if target_type == "post":
        return url_for("qa.question", question_id=item.question_id, _anchor=f"post-{item.id}")
    if target_type == "chat_message":
        return url_for("chat.message", message_id=item.id)
    return url_for("experts.profile", username=item.username)


def _page_number() -> int:
    return min(max(1, as_id(request.args.get("page")) or 1), MAX_PAGE)


def _pager(endpoint: str, found, args: dict) -> dict:
    kept = {name: value for name, value in args.items() if value}

    def link(page):
        return url_for(endpoint, **kept, page=page)

    return {"page": found.page, "prev": link(found.page - 1) if found.page > 1 else None,
            "next": link(found.page + 1) if found.has_next else None}


# -- flagging -----------------------------------------------------------------------------


@bp.route(FLAG, methods=["GET", "POST"])
@login_required
def flag(target_type, target_id):
    """Flag an item for the moderators: a reason, and a few words (required for "other")."""
    user = me()
    item, _group_id, author_id = flags.flag_target(user, target_type, target_id)
    back = item_url(target_type, item)
    if author_id == user.id:
        flash(_("You cannot flag your own contributions."), "error")
        return redirect(back)
    status, headers = 200, {}
    form = FlagForm()
    if request.method == "POST":
        check_form(form)
        try:
            flags.flag(user, target_type, target_id, form.reason.data, form.text.data or "")
        except ServiceError as error:
            status, headers = show_on_form(form, error)
        else:
            flash(_("Thank you: the moderators will look at it."), "success")
            return redirect(back)
    return render_template("moderation/flag_form.html", form=form, item=item,
                           target_type=target_type, back=back,
                           chosen=form.reason.data or "",
                           reason_labels=REASON_LABELS), status, headers


# -- the queue ------------------------------------------------------------------------------


@bp.route("/moderation/flags")
@login_required
def queue():
    """The items with flags that the reader moderates, most-flagged and oldest first."""
    user = me()
    status = request.args.get("status") or "open"
    if status not in flags.STATUSES:
        status = "open"
    group = request.args.get("group") or None
    found = flags.queue(user, status=status, group=group, page=_page_number())
    held = premoderation.held_items(user, group=group) if status == "open" else []
    return render_template(
        "moderation/queue_index.html", items=found.items, status=status, group=group,
        held=held, held_limit=premoderation.HELD_LIMIT,
        groups=flags.moderated_groups(user), item_url=item_url, dismiss_form=DismissForm(),
        pager=_pager("moderation.queue", found, {"status": status, "group": group}))


@bp.route("/moderation/flags/chat/<int:message_id>")
@login_required
def flagged_chat(message_id):
    """A flagged chat message with its neighbours, for the moderators of its flags; the
    reading is written to the audit log."""
    found = flags.open_flagged_chat(me(), message_id)
    return render_template("moderation/queue_chat.html", found=found)


@bp.route("/moderation/flags/dismiss", methods=["POST"])
@login_required
def dismiss():
    """Dismiss an item's open flags (nothing wrong with it)."""
    form = DismissForm()
    check_form(form)
    back = safe_next(form.next.data, url_for("moderation.queue"))
    try:
        count = flags.dismiss(me(), form.target.data, form.target_id.data,
                              form.reason.data or "")
    except NotFound as error:
        flash(error.message, "error")
        return redirect(back)
    except InvalidInput as error:
        flash(error.message, "error")
        return redirect(back), 422, error_headers(error)
    flash(_("Dismissed %(n)d flags.", n=count), "success")
    return redirect(back)


# -- the audit log -------------------------------------------------------------------------

AUDIT_FILTERS = ("action", "actor", "target_type", "group", "since", "until")


@bp.route("/moderation/audit")
@login_required
def audit():
    """The audit log of what the reader moderates, newest first, filtered; read only."""
    user = me()
    args = {name: (request.args.get(name) or "").strip() for name in AUDIT_FILTERS}
    status, errors = 200, {}
    try:
        found = flags.audit_entries(
            user, action=args["action"] or None, actor_name=args["actor"] or None,
            target_type=args["target_type"] or None, group=args["group"] or None,
            since=args["since"] or None, until=args["until"] or None, page=_page_number())
    except InvalidInput as error:  # a malformed date: the form again, no entries
        status, errors, found = 422, error.fields or {}, None
    return render_template(
        "moderation/audit_index.html", found=found, entries=found.page.items if found else [],
        args=args, errors=errors, actions=flags.audit_actions(user),
        groups=flags.moderated_groups(user), targets=target_labels(),
        pager=_pager("moderation.audit", found.page, args) if found else None), status
