"""Forms of the experts pages. Fields carry no validators but CSRF: the services validate,
and their errors go next to the fields (forum.pages.show_on_form)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    widgets,
)


class CheckboxesField(SelectMultipleField):
    """Several choices as a list of checkboxes (usable without JavaScript). Unknown values
    reach the service, which refuses them by name."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("validate_choice", False)
        super().__init__(*args, **kwargs)


class ProfileEditForm(FlaskForm):
    display_name = StringField(_l("Display name"))
    title = StringField(_l("Job title"))
    organization = StringField(_l("Organization"))
    region = StringField(_l("Region"))
    country = StringField(_l("Country"))
    bio = TextAreaField(_l("About you"), render_kw={"rows": 8})
    languages = CheckboxesField(_l("Languages you speak"), choices=[])
    expertise = StringField(_l("Areas of expertise"), render_kw={"list": "expertise-tags"})
    directory_hidden = BooleanField(_l("Hide me from the expert directory"))
    routing_paused = BooleanField(_l("Pause questions routed to me"))


class VerifyForm(FlaskForm):
    """Grant (verified=1) or remove (verified=0) the verified-expert badge, with a note."""

    verified = HiddenField()
    note = StringField(_l("Why"), id="verified-note")
