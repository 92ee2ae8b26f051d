"""Forms of the flag and queue pages: they carry the CSRF token; the services validate the
values (a bad value is a 422 next to its field, never a 400)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice

REASON_LABELS = {
    "spam": _l("Spam or advertising"),
    "offensive": _l("Offensive, abusive or harassing"),
    "off_topic": _l("Off-topic here"),
    "expert_review": _l("Needs an expert's review (possibly wrong or unsafe advice)"),
    "other": _l("Something else (say what)"),
}


class FlagForm(FlaskForm):
    reason = RadioField(_l("Why?"), validate_choice=False,
                        choices=[SelectChoice(value, label)
                                 for value, label in REASON_LABELS.items()])
    text = TextAreaField(_l("Details (required for “something else”)"), id="flag-text",
                         render_kw={"rows": 3, "maxlength": 500})


class DismissForm(FlaskForm):
    """Dismiss an item's flags (the queue shows one per item: ids keep them apart)."""

    target = HiddenField()
    target_id = HiddenField()
    reason = StringField(_l("Note (optional)"))
    next = HiddenField()
