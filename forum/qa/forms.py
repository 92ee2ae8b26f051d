"""Forms of the Q&A pages: they carry the CSRF token; the services validate the values."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, MultipleFileField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice

LANG_CHOICES = [SelectChoice("en", "English"), SelectChoice("fr", "Français")]


class AskForm(FlaskForm):
    title = StringField(_l("Title"), id="title")
    body = TextAreaField(_l("Your question"), render_kw={"rows": 10})
    # The service checks the group and language: a bad value is a 422 next to the field.
    group = SelectField(_l("Group"), validate_choice=False)
    tags = StringField(_l("Tags"))
    lang = SelectField(_l("Language of the question"), choices=LANG_CHOICES,
                       validate_choice=False)
    # "Ask an expert" (/questions/ask?invite=<username>): the question goes to them at once.
    invite = HiddenField()
    # Files (no JavaScript needed); `attachments`: ids of those uploaded by an earlier try.
    files = MultipleFileField(_l("Attach files"))
    attachments = HiddenField()


class EditQuestionForm(FlaskForm):
    title = StringField(_l("Title"), id="title")
    body = TextAreaField(_l("Question"), render_kw={"rows": 10})
    tags = StringField(_l("Tags"))


class PostForm(FlaskForm):
    """The body of an answer or a reply (writing or editing one)."""

    body = TextAreaField(_l("Your answer"), render_kw={"rows": 6})
    files = MultipleFileField(_l("Attach files"))
    attachments = HiddenField()


class TagDescriptionForm(FlaskForm):
    description = TextAreaField(_l("Description"), render_kw={"rows": 3})
