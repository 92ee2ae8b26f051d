"""Group pages: thin views that call forum.services.groups (and the question list)."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, StringField, TextAreaField

from forum import permissions
from forum.errors import NotFound, PermissionDenied, ServiceError
from forum.extensions import db
from forum.groups import bp
from forum.pages import check_form, list_filters, me, paginate, question_rows, show_on_form
from forum.services import groups as groups_service
from forum.services.threads import question_list_query
from forum.web import safe_next


class GroupForm(FlaskForm):
    slug = StringField(_l("Short name in the address (slug)"))
    name = StringField(_l("Name"))
    region = StringField(_l("Region"))
    description = TextAreaField(_l("Description"), render_kw={"rows": 5})
    private = BooleanField(_l("Private: only members see it and its questions"))


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
                private=bool(form.private.data))
        except ServiceError as error:
            status, _headers = show_on_form(form, error)
        else:
            flash(_("The group is created."), "success")
            return redirect(url_for("groups.group", slug=created.slug))
    return render_template("groups/new.html", form=form), status


@bp.route("/groups/<slug>")
def group(slug):
    user = me()
    found = groups_service.get_visible_group(user, slug)
    member = groups_service.is_member(user, found)
    filters = list_filters(group=found.slug)
    items, pager = paginate(question_list_query(user, summaries=True, **filters))
    member_form = MemberForm() if found.private and permissions.can_manage_groups(user) else None
    return render_template("groups/group.html", group=found, member=member,
                           questions=question_rows(items), pager=pager, filters=filters,
                           member_form=member_form)


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
    if not permissions.can_manage_groups(user):
        raise PermissionDenied(_("Only administrators can add members."))
    found = groups_service.get_visible_group(user, slug)
    try:
        groups_service.add_member(user, found.slug, (form.username.data or "").strip())
    except NotFound:
        flash(_("No such user."), "error")
    else:
        flash(_("%(username)s is now a member.", username=form.username.data.strip()),
              "success")
    return redirect(url_for("groups.group", slug=found.slug))
