"""What a member gets by mail: the settings page and the one-click unsubscribe link."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from forum.errors import ServiceError
from forum.extensions import csrf
from forum.notifications import bp
from forum.pages import ConfirmForm, check_form, me
from forum.services import mailing


@bp.route("/notifications/mail", methods=["GET", "POST"])
@login_required
def mail_settings():
    """One choice per kind: at once, daily digest, weekly digest, off."""
    user = me()
    form = ConfirmForm()
    status = 200
    if request.method == "POST":
        check_form(form)
        choices = {kind: request.form.get(f"kind-{kind}", "")
                   for kind in mailing.KIND_LABELS if f"kind-{kind}" in request.form}
        try:
            mailing.update_mail_settings(user, choices)
        except ServiceError as error:
            flash(error.message, "error")
            status = error.status
        else:
            flash(_("Your mail settings are saved."), "success")
            return redirect(url_for("notifications.mail_settings"))
    return render_template(
        "notifications/mail_settings.html", form=form, settings=mailing.mail_settings(user),
        kinds=mailing.KIND_LABELS, deliveries=mailing.DELIVERY_LABELS,
        confirmed=user.email_confirmed_at is not None), status


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt  # the signed token is the proof; mail clients POST it without a form (RFC 8058)
def unsubscribe(token):
    """GET shows what the link turns off and a button; POST turns it off. No login."""
    if request.method == "POST":
        user, kind = mailing.unsubscribe(token)
        return render_template("notifications/unsubscribed.html",
                               what=mailing.kind_label(kind))
    user, kind = mailing.read_unsubscribe_token(token)
    return render_template("notifications/unsubscribe.html", token=token,
                           what=mailing.kind_label(kind))
