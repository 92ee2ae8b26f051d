"""The curators' FAQ pages: promoting an answered question, editing an entry, the actions
on an entry (verify, obsolete, restore, withdraw, source take/keep, translation, pins) and
the review queue. Thin views over forum.services.faq, which authorizes every one of them;
a refused action shows its form again (422 with the input kept) or the error page."""

from datetime import timedelta

from flask import flash, redirect, render_template, request, url_for
from flask_login import login_required

from forum.errors import ServiceError
from forum.faq import bp
from forum.faq.forms import (
    EditEntryForm,
    ObsoleteForm,
    PinForm,
    PromoteForm,
    TranslationForm,
    VerifyForm,
    WithdrawForm,
)
from forum.faq.pages import ENTRY, render_entry
from forum.i18n import gettext as _
from forum.models import utcnow
from forum.pages import ConfirmForm, check_form, me, show_on_form
from forum.services import faq
from forum.services.inputs import MAX_ID
from forum.web import safe_next

DEFAULT_REVIEW_DAYS = 365


def _iso(value) -> str:
    return value.isoformat() if value else ""


@bp.route(f"/questions/<int(max={MAX_ID}):question_id>/faq", methods=["GET", "POST"])
@login_required
def promote(question_id):
    """Promote an answered question into the FAQ: the answer (the accepted one chosen by
    default), title, summary, tags, review-by date, language, people credited."""
    user = me()
    context = faq.promotion_context(user, question_id)
    status = 200
    if request.method == "POST":
        form = PromoteForm()
        check_form(form)
        try:
            entry = faq.promote(
                user, question_id, answer_id=form.answer_id.data or None,
                title=form.title.data, summary=form.summary.data or "",
                review_by=form.review_by.data or None, tags=form.tags.data,
                lang=form.lang.data or None, credited=form.credited.data or None)
        except ServiceError as error:
            status, _headers = show_on_form(form, error)
        else:
            flash(_("The answer is in the FAQ."), "success")
            return redirect(url_for("faq.entry", entry_id=entry.id))
    else:
        question = context.question
        form = PromoteForm(data={
            "answer_id": str(context.default_answer_id) if context.default_answer_id else "",
            "title": question.title, "tags": " ".join(context.tags), "lang": question.lang,
            "review_by": _iso(utcnow().date() + timedelta(days=DEFAULT_REVIEW_DAYS))})
    return render_template("faq/promote.html", form=form, context=context,
                           chosen=str(form.answer_id.data or "")), status


@bp.route(f"{ENTRY}/edit", methods=["GET", "POST"])
@login_required
def edit(entry_id):
    """Edit an entry's curated text, tags, language and review-by date (a new revision)."""
    user = me()
    entry = faq.get_entry_for_curation(user, entry_id)
    status = 200
    if request.method == "POST":
        form = EditEntryForm()
        check_form(form)
        try:
            faq.edit_entry(user, entry.id, title=form.title.data, summary=form.summary.data,
                           question=form.question.data, answer=form.answer.data,
                           review_by=form.review_by.data or None, tags=form.tags.data,
                           lang=form.lang.data or None)
        except ServiceError as error:
            status, _headers = show_on_form(form, error)
        else:
            flash(_("The FAQ entry is saved."), "success")
            return redirect(url_for("faq.entry", entry_id=entry.id))
    else:
        form = EditEntryForm(data={
            "title": entry.title, "summary": entry.summary_source,
            "question": entry.question_source, "answer": entry.answer_source,
            "tags": " ".join(t.name for t in entry.tags), "lang": entry.lang,
            "review_by": _iso(entry.review_by)})
    return render_template("faq/edit.html", form=form, entry=entry), status


def _done(entry_id, message: str):
    flash(message, "success")
    return redirect(url_for("faq.entry", entry_id=entry_id))


def _refused(entry_id, form, name: str, error: ServiceError):
    """The entry page again with the refused form (its input and errors kept)."""
    status, _headers = show_on_form(form, error)
    return render_entry(entry_id, status=status, **{name: form})


@bp.route(f"{ENTRY}/verify", methods=["POST"])
@login_required
def verify(entry_id):
    form = VerifyForm()
    check_form(form)
    try:
        faq.verify(me(), entry_id, review_by=form.review_by.data or None)
    except ServiceError as error:
        return _refused(entry_id, form, "verify_form", error)
    return _done(entry_id, _("Verified: the review date is set again."))


@bp.route(f"{ENTRY}/obsolete", methods=["POST"])
@login_required
def obsolete(entry_id):
    form = ObsoleteForm()
    check_form(form)
    try:
        faq.mark_obsolete(me(), entry_id, form.note.data or "",
                          replaced_by=(form.replaced_by.data or "").strip() or None)
    except ServiceError as error:
        return _refused(entry_id, form, "obsolete_form", error)
    return _done(entry_id, _("The entry is marked obsolete."))


@bp.route(f"{ENTRY}/restore", methods=["POST"])
@login_required
def restore(entry_id):
    check_form(ConfirmForm())
    faq.restore(me(), entry_id)
    return _done(entry_id, _("The entry is back in the FAQ."))


@bp.route(f"{ENTRY}/withdraw", methods=["POST"])
@login_required
def withdraw(entry_id):
    form = WithdrawForm()
    check_form(form)
    try:
        faq.withdraw(me(), entry_id, form.note.data or "")
    except ServiceError as error:
        return _refused(entry_id, form, "withdraw_form", error)
    flash(_("The entry is withdrawn."), "info")
    return redirect(url_for("faq.review"))


@bp.route(f"{ENTRY}/source/<any(take, keep):action>", methods=["POST"])
@login_required
def source(entry_id, action):
    check_form(ConfirmForm())
    if action == "take":
        faq.take_source_change(me(), entry_id)
        return _done(entry_id, _("The change of the source answer is taken in."))
    faq.keep_curated(me(), entry_id)
    return _done(entry_id, _("The curated text is kept."))


@bp.route(f"{ENTRY}/translation", methods=["POST"])
@login_required
def link_translation(entry_id):
    form = TranslationForm()
    check_form(form)
    try:
        faq.link_translation(me(), entry_id, (form.other_id.data or "").strip())
    except ServiceError as error:
        return _refused(entry_id, form, "translation_form", error)
    return _done(entry_id, _("The translation is linked."))


@bp.route(f"{ENTRY}/translation/unlink", methods=["POST"])
@login_required
def unlink_translation(entry_id):
    check_form(ConfirmForm())
    faq.unlink_translation(me(), entry_id)
    return _done(entry_id, _("The translation is unlinked."))


def _pin_form() -> PinForm:
    form = PinForm()
    check_form(form)
    return form


def _back(form: PinForm, entry_id) -> str:
    return safe_next(form.next.data, url_for("faq.entry", entry_id=entry_id))


@bp.route(f"{ENTRY}/pin", methods=["POST"])
@login_required
def pin(entry_id):
    form = _pin_form()
    faq.pin(me(), entry_id, form.scope.data, form.key.data)
    flash(_("Pinned."), "success")
    return redirect(_back(form, entry_id))


@bp.route(f"{ENTRY}/unpin", methods=["POST"])
@login_required
def unpin(entry_id):
    form = _pin_form()
    faq.unpin(me(), entry_id, form.scope.data, form.key.data)
    flash(_("Unpinned."), "info")
    return redirect(_back(form, entry_id))


@bp.route(f"{ENTRY}/move/<any(up, down):direction>", methods=["POST"])
@login_required
def move(entry_id, direction):
    form = _pin_form()
    faq.move_pin(me(), form.scope.data, form.key.data, entry_id, direction)
    return redirect(_back(form, entry_id))


@bp.route("/faq/review")
@login_required
def review():
    """The curators' queue: entries due for review and entries whose source changed."""
    items = faq.review_queue(me())
    return render_template("faq/review.html", items=items)
