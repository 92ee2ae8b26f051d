"""Forms of the admin pages: they carry the CSRF token; the services validate the values."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice


def role_choices():
    return [SelectChoice("member", _l("Member")), SelectChoice("moderator", _l("Site moderator")),
            SelectChoice("admin", _l("Administrator"))]


def language_choices():
    return [SelectChoice("en", "English"), SelectChoice("fr", "Français")]


class RoleForm(FlaskForm):
    role = SelectField(_l("Role"), choices=role_choices(), validate_choice=False)


class SuspendForm(FlaskForm):
    days = StringField(_l("Days (1 to 365)"), render_kw={"inputmode": "numeric"})
    ban = BooleanField(_l("Ban (no end)"))
    reason = TextAreaField(_l("Reason"), render_kw={"rows": 2, "maxlength": 500})


class UnsuspendForm(FlaskForm):
    reason = TextAreaField(_l("Reason"), render_kw={"rows": 2, "maxlength": 500})


class VerifiedForm(FlaskForm):
    verified = SelectField(_l("Verified-expert badge"), validate_choice=False, choices=[
        SelectChoice("1", _l("Grant the badge")), SelectChoice("0", _l("Remove the badge"))])
    note = TextAreaField(_l("Note"), render_kw={"rows": 2, "maxlength": 500})


class GroupForm(FlaskForm):
    slug = StringField(_l("Address (slug)"), render_kw={"maxlength": 50})
    name = StringField(_l("Name"), render_kw={"maxlength": 100})
    name_fr = StringField(_l("Name in French"), render_kw={"maxlength": 100})
    region = StringField(_l("Region"), render_kw={"maxlength": 80})
    description = TextAreaField(_l("Description"), render_kw={"rows": 4})
    description_fr = TextAreaField(_l("Description in French"), render_kw={"rows": 4})
    private = BooleanField(_l("Private: only its members see it"))
    premoderate_new_members = BooleanField(
        _l("Pre-moderation: new members' first posts wait for a moderator"))


class ModeratorForm(FlaskForm):
    username = StringField(_l("Username"), render_kw={"maxlength": 30})


class SettingsForm(FlaskForm):
    name = StringField(_l("Site name"), render_kw={"maxlength": 80})
    welcome = TextAreaField(_l("Welcome text"), render_kw={"rows": 5})
    welcome_fr = TextAreaField(_l("Welcome text in French"), render_kw={"rows": 5})
    default_locale = SelectField(_l("Default language"), choices=language_choices(),
                                 validate_choice=False)
    registration = RadioField(_l("Registration"), validate_choice=False, choices=[
        SelectChoice("open", _l("Open: anyone may register")),
        SelectChoice("invitation", _l("By invitation only"))])


class InvitationForm(FlaskForm):
    email = StringField(_l("Email"), render_kw={"maxlength": 254, "type": "email"})
    locale = SelectField(_l("Language of the email"), choices=language_choices(),
                         validate_choice=False)
    days = StringField(_l("Valid for (days, 1 to 90)"), default="14",
                       render_kw={"inputmode": "numeric"})
