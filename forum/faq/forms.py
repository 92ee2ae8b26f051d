"""Forms of the FAQ pages: they carry the CSRF token; the services validate the values
(a bad value is a 422 next to its field, never a 400)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice

LANG_CHOICES = [SelectChoice("en", "English"), SelectChoice("fr", "Français")]


class PromoteForm(FlaskForm):
    # The template draws the answers as a radio list with their text; the service checks
    # that the chosen one is an answer of this question.
    answer_id = RadioField(_l("Answer"), validate_choice=False)
    title = StringField(_l("Title"), id="title")
    summary = TextAreaField(_l("Summary"), render_kw={"rows": 4})
    tags = StringField(_l("Tags"))
    review_by = StringField(_l("Review by"), render_kw={"type": "date"})
    lang = SelectField(_l("Language"), choices=LANG_CHOICES, validate_choice=False)
    credited = StringField(_l("Also credit (usernames)"))


class EditEntryForm(FlaskForm):
    title = StringField(_l("Title"), id="title")
    summary = TextAreaField(_l("Summary"), render_kw={"rows": 4})
    question = TextAreaField(_l("Question"), render_kw={"rows": 8})
    answer = TextAreaField(_l("Answer"), render_kw={"rows": 12})
    tags = StringField(_l("Tags"))
    review_by = StringField(_l("Review by"), render_kw={"type": "date"})
    lang = SelectField(_l("Language"), choices=LANG_CHOICES, validate_choice=False)


# The entry page shows several of these forms at once: their fields carry distinct ids.


class VerifyForm(FlaskForm):
    review_by = StringField(_l("Next review by"), id="verify-review-by",
                            render_kw={"type": "date"})


class ObsoleteForm(FlaskForm):
    note = TextAreaField(_l("Why it is obsolete"), id="obsolete-note", render_kw={"rows": 3})
    replaced_by = StringField(_l("Replacement entry number (optional)"),
                              id="obsolete-replaced-by", render_kw={"inputmode": "numeric"})


class WithdrawForm(FlaskForm):
    note = TextAreaField(_l("Why it is withdrawn"), id="withdraw-note", render_kw={"rows": 3})


class TranslationForm(FlaskForm):
    other_id = StringField(_l("Entry number of the translation"), id="translation-other",
                           render_kw={"inputmode": "numeric"})


class PinForm(FlaskForm):
    """Pin, unpin or move an entry within a tag's ("tag", name) or a group's ("group",
    slug) list."""

    scope = HiddenField()
    key = HiddenField()
    next = HiddenField()
