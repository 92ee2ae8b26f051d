"""Routing pages: the asker's "Ask them" and the moderators' "Route to" buttons (the box
`experts/_suggested.html` on the question page posts here), and "Questions for you"
(/routed), where an expert sees the open questions asked of them and pauses or resumes
routing. Thin views over forum.services.routing."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_login import login_required
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField

from forum.errors import ServiceError
from forum.experts import bp
from forum.i18n import gettext as _
from forum.pages import check_form, me
from forum.services import profiles, routing
from forum.services.inputs import MAX_ID

QUESTION = f"/questions/<int(max={MAX_ID}):question_id>"
ROUTED_SHOWN = 50


class AskExpertsForm(FlaskForm):
    """Ask the checked people (checkboxes named `usernames`, drawn by the template)."""


class RouteForm(FlaskForm):
    """A moderator routes the question by hand to one person."""

    username = StringField()


class PauseForm(FlaskForm):
    paused = HiddenField()


@bp.app_template_global("why_text")
def why_text_global(why) -> str:
    """A route's reasons as a sentence in the reader's language."""
    return routing.why_text(why, str(get_locale()))


def _back(question_id):
    return redirect(url_for("qa.question", question_id=question_id, _anchor="experts"))


def _refused(error: ServiceError) -> None:
    if error.status in (403, 404):
        raise error
    flash(" ".join(error.fields.values()) if error.fields else error.message, "error")


@bp.route(f"{QUESTION}/experts/ask", methods=["POST"])
@login_required
def ask(question_id):
    check_form(AskExpertsForm())
    try:
        asked = routing.ask(me(), question_id, request.form.getlist("usernames"))
    except ServiceError as error:
        _refused(error)
    else:
        flash(_("Asked: %(names)s.", names=", ".join(user.name for user in asked)), "success")
    return _back(question_id)


@bp.route(f"{QUESTION}/experts/route", methods=["POST"])
@login_required
def route(question_id):
    form = RouteForm()
    check_form(form)
    try:
        routing.ask(me(), question_id, [form.username.data or ""])
    except ServiceError as error:
        _refused(error)
    else:
        flash(_("The question is routed to %(name)s.", name=form.username.data), "success")
    return _back(question_id)


@bp.route("/routed")
@login_required
def routed():
    """Questions for you: the open questions asked of the signed-in member."""
    user = me()
    return render_template("experts/routed.html", routed=routing.routed_to(user, ROUTED_SHOWN),
                           paused=user.routing_paused,
                           pause_form=PauseForm(paused="0" if user.routing_paused else "1"))


@bp.route("/routed/pause", methods=["POST"])
@login_required
def pause():
    """Pause (paused=1) or resume (paused=0) questions routed to the signed-in member."""
    form = PauseForm()
    check_form(form)
    user = me()
    paused = form.paused.data == "1"
    try:
        profiles.update_profile(user, user, routing_paused=paused)
    except ServiceError as error:
        _refused(error)
    else:
        flash(_("Questions are no longer routed to you.") if paused
              else _("Questions are routed to you again."), "success")
    return redirect(url_for("experts.routed"))
