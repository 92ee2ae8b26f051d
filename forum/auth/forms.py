"""Forms of the account pages: they carry the CSRF token; the services validate the values."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice

LANGUAGE_CHOICES = [SelectChoice("en", "English"), SelectChoice("fr", "Français")]


class RegisterForm(FlaskForm):
    username = StringField(_l("Username"))
    display_name = StringField(_l("Display name (optional)"))
    email = EmailField(_l("Email"))
    password = PasswordField(_l("Password"))


class InvitedRegisterForm(FlaskForm):
    """Registering from an invitation's link: the address is the invitation's."""

    invitation = HiddenField()
    username = StringField(_l("Username"))
    display_name = StringField(_l("Display name (optional)"))
    password = PasswordField(_l("Password"))


class LoginForm(FlaskForm):
    login = StringField(_l("Username or email"))
    password = PasswordField(_l("Password"))
    next = HiddenField()


class SignInLinkForm(FlaskForm):
    """Ask for a link that makes this browser a known device (owners locked out by guessing)."""

    login = StringField(_l("Username or email"))


class ProfileForm(FlaskForm):
    """The interface language; the public profile has its own page (/u/<username>/edit)."""

    locale = SelectField(_l("Language"), choices=LANGUAGE_CHOICES)


class PasswordForm(FlaskForm):
    current_password = PasswordField(_l("Current password"))
    new_password = PasswordField(_l("New password"))


class ForgotForm(FlaskForm):
    email = EmailField(_l("Email"))


class ResetForm(FlaskForm):
    new_password = PasswordField(_l("New password"))


class DeleteForm(FlaskForm):
    password = PasswordField(_l("Your password"))


class LanguageForm(FlaskForm):
    lang = SelectField(_l("Language"), choices=LANGUAGE_CHOICES)
    next = HiddenField()


class LogoutForm(FlaskForm):
    pass
