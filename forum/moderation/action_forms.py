"""Forms of the moderator action pages: they carry the CSRF token; the services validate."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice


class ReasonForm(FlaskForm):
    """Hide, restore, lock, unlock, reopen: a reason (optional for the undoing ones)."""

    reason = TextAreaField(_l("Reason"), render_kw={"rows": 3, "maxlength": 500})


class CloseForm(FlaskForm):
    reason = SelectField(_l("Why close it"), validate_choice=False, choices=[
        SelectChoice("duplicate", _l("Duplicate of another question")),
        SelectChoice("off_topic", _l("Off-topic")),
        SelectChoice("resolved_elsewhere", _l("Resolved elsewhere")),
    ])
    duplicate_of = StringField(_l("Number of the question it duplicates"),
                               render_kw={"inputmode": "numeric"})
    note = TextAreaField(_l("Note (optional)"), render_kw={"rows": 2, "maxlength": 500})


class MoveForm(FlaskForm):
    group = SelectField(_l("Move to"), validate_choice=False)
    reason = TextAreaField(_l("Reason"), render_kw={"rows": 3, "maxlength": 500})


class SuspendForm(FlaskForm):
    action = HiddenField(default="suspend")
    days = StringField(_l("Days (1 to 365)"), render_kw={"inputmode": "numeric"})
    ban = BooleanField(_l("Ban (no end)"))
    reason = TextAreaField(_l("Reason"), render_kw={"rows": 3, "maxlength": 500})


class UnsuspendForm(FlaskForm):
    action = HiddenField(default="unsuspend")
    reason = TextAreaField(_l("Reason"), render_kw={"rows": 3, "maxlength": 500})
