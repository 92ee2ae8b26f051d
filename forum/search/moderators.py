"""Moderators' pages of the search: the thesaurus (concepts beyond the shipped file) and tag
synonyms. Forms carry the CSRF token; the services validate and authorize."""

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from flask_wtf import FlaskForm
from wtforms import StringField

from forum import permissions
from forum.errors import ServiceError
from forum.pages import ConfirmForm, check_form, me, show_on_form
from forum.search import bp
from forum.services import search_tags, thesaurus


class ConceptForm(FlaskForm):
    terms_en = StringField(_l("English terms, separated by commas"), id="terms-en",
                           render_kw={"maxlength": 2000})
    terms_fr = StringField(_l("French terms, separated by commas"), id="terms-fr",
                           render_kw={"maxlength": 2000})


class SynonymForm(FlaskForm):
    name = StringField(_l("Tag written"), id="synonym-name", render_kw={"maxlength": 30})
    tag = StringField(_l("Tag to use instead"), id="synonym-tag", render_kw={"maxlength": 30})


def _moderator():
    user = me()
    if not permissions.can_edit_tags(user):
        abort(403)
    return user


@bp.route("/search/thesaurus", methods=["GET", "POST"])
@login_required
def thesaurus_page():
    """The thesaurus: shipped concepts, moderators' concepts, and a form to add one."""
    user = _moderator()
    form = ConceptForm()
    status, headers = 200, {}
    if form.is_submitted():
        check_form(form)
        try:
            thesaurus.add_concept(user, terms_en=form.terms_en.data or "",
                                  terms_fr=form.terms_fr.data or "")
        except ServiceError as error:
            status, headers = show_on_form(form, error)
        else:
            flash(_("The concept is added: searches use it from now on."), "success")
            return redirect(url_for("search.thesaurus_page"))
    return render_template("search/thesaurus.html", form=form, delete_form=ConfirmForm(),
                           shipped=thesaurus.shipped(), custom=thesaurus.custom()), \
        status, headers


@bp.post("/search/thesaurus/<int:concept_id>/delete")
@login_required
def delete_concept(concept_id: int):
    """Delete a moderator's concept."""
    user = _moderator()
    check_form(ConfirmForm())
    thesaurus.delete_concept(user, concept_id)
    flash(_("The concept is deleted."), "success")
    return redirect(url_for("search.thesaurus_page"))


@bp.route("/search/tag-synonyms", methods=["GET", "POST"])
@login_required
def tag_synonyms_page():
    """Tag synonyms: the list, and a form to add one (merging the tags)."""
    user = _moderator()
    form = SynonymForm()
    status, headers = 200, {}
    if form.is_submitted():
        check_form(form)
        try:
            row = search_tags.add_tag_synonym(user, form.name.data, form.tag.data)
        except ServiceError as error:
            status, headers = show_on_form(form, error)
        else:
            flash(_("%(name)s is now written %(tag)s; the two tags are merged.",
                    name=row.name, tag=row.tag.name), "success")
            return redirect(url_for("search.tag_synonyms_page"))
    return render_template("search/tag_synonyms.html", form=form, delete_form=ConfirmForm(),
                           synonyms=search_tags.tag_synonyms()), status, headers


@bp.post("/search/tag-synonyms/<int:synonym_id>/delete")
@login_required
def delete_tag_synonym(synonym_id: int):
    """Forget a tag synonym."""
    user = _moderator()
    check_form(ConfirmForm())
    search_tags.remove_tag_synonym(user, synonym_id)
    flash(_("The synonym is removed."), "success")
    return redirect(url_for("search.tag_synonyms_page"))
