"""Group pages: thin views that call forum.services.groups (and the question list)."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, StringField, TextAreaField

from forum import permissions
from forum.errors import NotFound, PermissionDenied, ServiceError
from forum.extensions import db
from forum.groups import bp
from forum.pages import (
    ConfirmForm,
    atom_response,
    check_form,
    list_filters,
    me,
    paginate,
    question_rows,
    show_on_form,
)
from forum.services import experts as experts_service
from forum.services import faq, feeds
from forum.services import groups as groups_service
from forum.services.inputs import MAX_ID
from forum.services.threads import question_list_query
from forum.web import safe_next

MEMBERS_PER_PAGE = 50


class GroupForm(FlaskForm):
    slug = StringField(_l("Short name in the address (slug)"))
    name = StringField(_l("Name"))
    name_fr = StringField(_l("Name in French"))
    region = StringField(_l("Region"))
    description = TextAreaField(_l("Description"), render_kw={"rows": 5})
    description_fr = TextAreaField(_l("Description in French"), render_kw={"rows": 5})
    private = BooleanField(_l("Private: only members see it and its questions"))


class EditGroupForm(FlaskForm):
    name = StringField(_l("Name"))
    name_fr = StringField(_l("Name in French"))
    region = StringField(_l("Region"))
    description = TextAreaField(_l("Description"), render_kw={"rows": 5})
    description_fr = TextAreaField(_l("Description in French"), render_kw={"rows": 5})


class JoinRequestForm(FlaskForm):
    message = TextAreaField(_l("Message to the group's moderators (optional)"),
                            render_kw={"rows": 3})


@bp.app_template_global("group_name")
def group_name(group) -> str:
    """The group's name in the interface language (French when it has one)."""
    return group.name_in(get_locale())


@bp.app_template_global("group_description_html")
def group_description_html(group) -> str:
    """The group's sanitized description in the interface language."""
    return group.description_html_in(get_locale())


class MemberForm(FlaskForm):
    username = StringField(_l("Username"))


class MembershipForm(FlaskForm):
    next = HiddenField()


@bp.route("/groups")
def index():
    user = me()
    found = db.session.scalars(groups_service.visible_groups_query(user)).all()
    mine = groups_service.member_group_ids_of(user)
    return render_template("groups/index.html", groups=found, mine=mine,
                           can_create=permissions.can_manage_groups(user))


@bp.route("/groups/new", methods=["GET", "POST"])
@login_required
def new():
    user = me()
    if not permissions.can_manage_groups(user):
        raise PermissionDenied(_("Only administrators can create groups."))
    form = GroupForm()
    status = 200
    if request.method == "POST":
        check_form(form)
        try:
            created = groups_service.create_group(
                user, form.slug.data, form.name.data, form.region.data, form.description.data,
                private=bool(form.private.data), name_fr=form.name_fr.data,
                description_fr=form.description_fr.data)
        except ServiceError as error:
            status, _headers = show_on_form(form, error)
        else:
            flash(_("The group is created."), "success")
            return redirect(url_for("groups.group", slug=created.slug))
    return render_template("groups/new.html", form=form), status


@bp.route("/groups/<slug>")
def group(slug):
    user = me()
    page = groups_service.group_page(user, slug)
    filters = list_filters(group=page.group.slug)
    items, pager = paginate(question_list_query(user, summaries=True, **filters))
    experts = experts_service.group_experts(user, page.group,
                                            is_member=page.membership is not None)
    faq_entries = faq.entries_for_group(user, page.group.id, 5)
    return render_template("groups/group.html", group=page.group, page=page,
                           member=page.membership is not None, experts=experts,
                           faq_entries=faq_entries,
                           questions=question_rows(items), pager=pager, filters=filters,
                           member_form=MemberForm() if page.moderates else None,
                           confirm=ConfirmForm())


@bp.route("/groups/<slug>/members")
def members(slug):
    user = me()
    page = groups_service.group_page(user, slug)
    rows, pager = paginate(groups_service.members_query(user, page.group.slug),
                           per_page=MEMBERS_PER_PAGE, rows=True)
    return render_template("groups/members.html", group=page.group, page=page, rows=rows,
                           pager=pager, confirm=ConfirmForm())


@bp.route("/groups/<slug>/edit", methods=["GET", "POST"])
@login_required
def edit(slug):
    user = me()
    found = groups_service.get_visible_group(user, slug)
    if not groups_service.can_moderate(user, found):
        raise PermissionDenied(_("Only the group's moderators can edit it."))
    admin = permissions.can_manage_groups(user)
    form = EditGroupForm(data={
        "name": found.name, "name_fr": found.name_fr, "region": found.region,
        "description": found.description_source,
        "description_fr": found.description_fr_source})
    status = 200
    if request.method == "POST":
        check_form(form)
        names = {"name": form.name.data, "name_fr": form.name_fr.data,
                 "region": form.region.data} if admin else {}
        try:
            groups_service.update_group(user, found.slug, description=form.description.data,
                                        description_fr=form.description_fr.data, **names)
        except ServiceError as error:
            status, _headers = show_on_form(form, error)
        else:
            flash(_("The group is saved."), "success")
            return redirect(url_for("groups.group", slug=found.slug))
    return render_template("groups/edit.html", group=found, form=form, admin=admin), status


@bp.route("/groups/<slug>/moderators", methods=["POST"])
@login_required
def add_moderator(slug):
    form = MemberForm()
    check_form(form)
    username = (form.username.data or "").strip()
    try:
        groups_service.set_group_moderator(me(), slug, username, True)
    except NotFound as error:
        if error.message != _("No such user."):
            raise
        flash(error.message, "error")
    else:
        flash(_("%(username)s is now a moderator of this group.", username=username),
              "success")
    return redirect(url_for("groups.group", slug=slug))


@bp.route("/groups/<slug>/moderators/<username>/remove", methods=["POST"])
@login_required
def remove_moderator(slug, username):
    check_form(ConfirmForm())
    groups_service.set_group_moderator(me(), slug, username, False)
    flash(_("%(username)s is no longer a moderator of this group.", username=username), "info")
    return redirect(url_for("groups.group", slug=slug))


@bp.route("/groups/<slug>/members/<username>/remove", methods=["POST"])
@login_required
def remove_member(slug, username):
    check_form(ConfirmForm())
    left = groups_service.remove_member(me(), slug, username)
    flash(_("%(username)s is no longer a member.", username=username), "info")
    return redirect(url_for("groups.members", slug=left.slug))


@bp.route("/groups/<slug>/request", methods=["GET", "POST"])
@login_required
def join_request(slug):
    user = me()
    state = groups_service.join_request_state(user, slug)
    form = JoinRequestForm()
    status = 200
    if request.method == "POST":
        check_form(form)
        try:
            groups_service.request_to_join(user, slug, form.message.data)
        except ServiceError as error:
            status, _headers = show_on_form(form, error)
        else:
            flash(_("Your request is sent to the group's moderators."), "success")
            return redirect(url_for("groups.join_request", slug=state.group.slug))
    return render_template("groups/request.html", state=state, form=form), status


@bp.route(f"/groups/<slug>/requests/<int(max={MAX_ID}):request_id>"
          "/<any(approve, refuse):decision>", methods=["POST"])
@login_required
def decide_request(slug, request_id, decision):
    check_form(ConfirmForm())
    groups_service.decide_join_request(me(), slug, request_id, approve=decision == "approve")
    if decision == "approve":
        flash(_("The request is approved: a new member joined."), "success")
    else:
        flash(_("The request is refused."), "info")
    return redirect(url_for("groups.group", slug=slug))


@bp.route("/groups/<slug>/feed")
def feed(slug):
    found, questions = feeds.group_feed(slug)
    return atom_response(title=found.name_in(get_locale()),
                         page_url=url_for("groups.group", slug=found.slug, _external=True),
                         questions=questions)


def _back(slug: str) -> str:
    return safe_next(request.form.get("next"), url_for("groups.group", slug=slug))


@bp.route("/groups/<slug>/join", methods=["POST"])
@login_required
def join(slug):
    check_form(MembershipForm())
    joined = groups_service.join_group(me(), slug)
    flash(_("You joined %(name)s.", name=joined.name), "success")
    return redirect(_back(joined.slug))


@bp.route("/groups/<slug>/leave", methods=["POST"])
@login_required
def leave(slug):
    check_form(MembershipForm())
    left = groups_service.leave_group(me(), slug)
    flash(_("You left %(name)s.", name=left.name), "info")
    if left.private:
        # A private group is not visible once you left it.
        return redirect(url_for("groups.index"))
    return redirect(_back(left.slug))


@bp.route("/groups/<slug>/members", methods=["POST"])
@login_required
def add_member(slug):
    user = me()
    form = MemberForm()
    check_form(form)
    username = (form.username.data or "").strip()
    try:
        found = groups_service.add_member(user, slug, username)
    except NotFound as error:
        if error.message != _("No such user."):
            raise
        flash(error.message, "error")
    else:
        flash(_("%(username)s is now a member.", username=username), "success")
        return redirect(url_for("groups.group", slug=found.slug))
    return redirect(url_for("groups.group", slug=slug))
