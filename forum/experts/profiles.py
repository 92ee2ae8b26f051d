"""Profile pages: /u/<username> (what a person tells others, their numbers and recent
posts, the buttons to message, ask and follow them), its edit form, and the moderators'
form that grants or removes the verified-expert badge. Thin views over
forum.services.profiles."""

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_login import login_required

from forum.errors import ServiceError
from forum.experts import bp
from forum.experts.forms import ProfileEditForm, VerifyForm
from forum.i18n import gettext as _
from forum.models import SPOKEN_LANGUAGES, language_name
from forum.pages import check_form, me, show_on_form
from forum.services import profiles

PROFILE = "/u/<username>"


def _language_names(codes) -> list[tuple[str, str]]:
    locale = str(get_locale())
    return [(code, language_name(code, locale)) for code in codes]


def _render_profile(username, verify_form=None, status=200):
    page = profiles.profile_page(me(), username)
    return render_template(
        "experts/profile.html", page=page, user=page.user,
        languages=_language_names(page.languages),
        verify_form=verify_form or VerifyForm(
            verified="0" if page.user.verified_expert else "1")), status


@bp.route(PROFILE)
def profile(username):
    """A person's profile; 404 for unknown and deleted accounts."""
    return _render_profile(username)


def _language_choices():
    locale = str(get_locale())
    return sorted(((code, language_name(code, locale)) for code in SPOKEN_LANGUAGES),
                  key=lambda choice: choice[1].casefold())


@bp.route(f"{PROFILE}/edit", methods=["GET", "POST"])
@login_required
def edit_profile(username):
    """The owner's (or an admin's) form; errors come back with 422 and what was typed."""
    g.no_store = True
    actor = me()
    user = profiles.editable_profile(actor, username)
    if request.method == "POST":
        form = ProfileEditForm()
    else:
        form = ProfileEditForm(
            display_name=user.display_name, title=user.title,
            organization=user.organization, region=user.region, country=user.country,
            bio=user.bio_source, languages=user.languages,
            expertise=", ".join(user.expertise), directory_hidden=user.directory_hidden,
            routing_paused=user.routing_paused)
    form.languages.choices = _language_choices()
    status, headers = 200, {}
    if request.method == "POST":
        check_form(form)
        try:
            profiles.update_profile(
                actor, user, display_name=form.display_name.data or "",
                title=form.title.data or "", organization=form.organization.data or "",
                region=form.region.data or "", country=form.country.data or "",
                bio=form.bio.data or "", languages=list(form.languages.data or []),
                expertise=form.expertise.data or "",
                directory_hidden=bool(form.directory_hidden.data),
                routing_paused=bool(form.routing_paused.data))
        except ServiceError as error:
            status, headers = show_on_form(form, error)
        else:
            flash(_("Your profile is saved.") if actor.id == user.id
                  else _("The profile is saved."), "success")
            return redirect(url_for("experts.profile", username=user.username))
    return render_template(
        "experts/profile_edit.html", form=form, user=user,
        tag_names=profiles.expertise_choices(actor)), status, headers


@bp.route(f"{PROFILE}/verified", methods=["POST"])
@login_required
def set_verified(username):
    """Moderators grant (verified=1) or remove (verified=0) the badge, with a note."""
    form = VerifyForm()
    check_form(form)
    try:
        user = profiles.set_verified(me(), username, form.verified.data == "1",
                                     form.note.data)
    except ServiceError as error:
        status, _headers = show_on_form(form, error)
        return _render_profile(username, verify_form=form, status=status)
    flash(_("The verified-expert badge is granted.") if user.verified_expert
          else _("The verified-expert badge is removed."), "success")
    return redirect(url_for("experts.profile", username=user.username))
