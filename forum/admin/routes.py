"""The admin pages' views (thin: one service call each; forms post, then redirect).

Administrators see every page. Site moderators see the overview and the people pages,
where they suspend and grant the verified badge as the services allow them; everyone else
gets 403 (and anonymous visitors the login page).
"""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import login_required

from forum import permissions
from forum.admin import bp
from forum.admin.forms import (
    GroupForm,
    InvitationForm,
    ModeratorForm,
    RoleForm,
    SettingsForm,
    SuspendForm,
    UnsuspendForm,
    VerifiedForm,
)
from forum.errors import Conflict, ServiceError
from forum.models import utcnow
from forum.pages import MAX_PER_PAGE, ConfirmForm, check_form, me, show_on_form
from forum.services import accounts, admin, groups, moderation, profiles, site
from forum.services.inputs import MAX_ID, as_int
from forum.services.paging import MAX_PAGE, fetch_page

PEOPLE_PER_PAGE = 25
GROUPS_PER_PAGE = 50
INVITATIONS_PER_PAGE = 50
KEPT_ARGS = ("q", "role", "suspended", "per_page")  # what the pager links carry on


def _number(name: str, default: int, high: int) -> int:
    value = as_int(request.args.get(name))
    return default if value is None else min(max(1, value), high)


def paginate(stmt, *, per_page: int):
    """One page of a select() (?page=, ?per_page= up to 100; nonsense is clamped) and its
    pager, whose links keep this page's filters. One query plus the statement's loads."""
    found = fetch_page(stmt, page=_number("page", 1, MAX_PAGE),
                       per_page=_number("per_page", per_page, MAX_PER_PAGE))
    args = {name: request.args[name] for name in KEPT_ARGS if request.args.get(name)}

    def link(page: int) -> str:
        return url_for(request.endpoint, **(request.view_args or {}), **args, page=page)

    pager = {"page": found.page, "prev": link(found.page - 1) if found.page > 1 else None,
             "next": link(found.page + 1) if found.has_next else None}
    return found.items, pager


@bp.route("/")
@login_required
def index():
    user = me()
    admin.require_people_page(user)
    counts = admin.overview(user) if permissions.is_admin(user) else None
    return render_template("admin/index.html", counts=counts,
                           is_admin=permissions.is_admin(user))


# -- people -----------------------------------------------------------------------------


@bp.route("/users")
@login_required
def users():
    user = me()
    filters = admin.people_filters(request.args.get("q"), request.args.get("role"),
                                   request.args.get("suspended"))
    rows, pager = paginate(admin.people_query(user, filters), per_page=PEOPLE_PER_PAGE)
    return render_template("admin/users.html", rows=rows, pager=pager, filters=filters,
                           is_admin=permissions.is_admin(user),
                           is_suspended=moderation.is_suspended)


def _person_page(person, *, status=200, headers=None, role_form=None, suspend_form=None,
                 unsuspend_form=None, verified_form=None):
    user = me()
    role_form = role_form or RoleForm(role=person.role)
    verified_form = verified_form or VerifiedForm(verified="0" if person.verified_expert
                                                  else "1")
    return render_template(
        "admin/user.html", person=person, is_admin=permissions.is_admin(user),
        role_form=role_form, suspend_form=suspend_form or SuspendForm(),
        unsuspend_form=unsuspend_form or UnsuspendForm(), verified_form=verified_form,
        may_suspend=moderation.may_suspend(user, person),
        may_verify=permissions.can_verify_experts(user),
        suspended=moderation.is_suspended(person), banned=moderation.is_banned(person),
    ), status, headers or {}


@bp.route("/users/<username>")
@login_required
def user_page(username):
    return _person_page(admin.person(me(), username))


@bp.route("/users/<username>/role", methods=["POST"])
@login_required
def set_role(username):
    person = admin.person(me(), username)
    form = RoleForm()
    check_form(form)
    try:
        accounts.set_role(me(), person.username, form.role.data)
    except ServiceError as error:
        status, headers = show_on_form(form, error)
        return _person_page(person, status=status, headers=headers, role_form=form)
    flash(_("The role of %(username)s is saved.", username=person.username), "success")
    return redirect(url_for("admin.user_page", username=person.username))


@bp.route("/users/<username>/suspend", methods=["POST"])
@login_required
def suspend(username):
    person = admin.person(me(), username)
    form = SuspendForm()
    check_form(form)
    try:
        moderation.suspend(me(), person.username, days=form.days.data or None,
                           ban=bool(form.ban.data), reason=form.reason.data)
    except ServiceError as error:
        status, headers = show_on_form(form, error)
        return _person_page(person, status=status, headers=headers, suspend_form=form)
    flash(_("The account is suspended."), "success")
    return redirect(url_for("admin.user_page", username=person.username))


@bp.route("/users/<username>/unsuspend", methods=["POST"])
@login_required
def unsuspend(username):
    person = admin.person(me(), username)
    form = UnsuspendForm()
    check_form(form)
    try:
        moderation.unsuspend(me(), person.username, form.reason.data)
    except ServiceError as error:
        status, headers = show_on_form(form, error)
        return _person_page(person, status=status, headers=headers, unsuspend_form=form)
    flash(_("The suspension is lifted."), "success")
    return redirect(url_for("admin.user_page", username=person.username))


@bp.route("/users/<username>/verified", methods=["POST"])
@login_required
def verified(username):
    person = admin.person(me(), username)
    form = VerifiedForm()
    check_form(form)
    if form.verified.data not in ("0", "1"):
        abort(400)
    try:
        profiles.set_verified(me(), person.username, form.verified.data == "1",
                              form.note.data)
    except ServiceError as error:
        status, headers = show_on_form(form, error)
        return _person_page(person, status=status, headers=headers, verified_form=form)
    flash(_("The verified-expert badge is granted.") if form.verified.data == "1"
          else _("The verified-expert badge is removed."), "success")
    return redirect(url_for("admin.user_page", username=person.username))


# -- groups -----------------------------------------------------------------------------


@bp.route("/groups")
@login_required
def groups_index():
    rows, pager = paginate(admin.groups_query(me()), per_page=GROUPS_PER_PAGE)
    return render_template("admin/groups.html", rows=rows, pager=pager)


def _group_values(form) -> dict:
    return {"name": form.name.data, "name_fr": form.name_fr.data, "region": form.region.data,
            "description": form.description.data, "description_fr": form.description_fr.data,
            "private": bool(form.private.data),
            "premoderate_new_members": bool(form.premoderate_new_members.data)}


@bp.route("/groups/new", methods=["GET", "POST"])
@login_required
def group_new():
    user = me()
    site.require_admin(user)  # 403 before any form is shown
    form = GroupForm()
    status, headers = 200, {}
    if request.method == "POST":
        check_form(form)
        try:
            group = admin.create_group(user, slug=form.slug.data, **_group_values(form))
        except ServiceError as error:
            status, headers = show_on_form(form, error)
        else:
            flash(_("The group is created."), "success")
            return redirect(url_for("admin.group_page", slug=group.slug))
    return render_template("admin/group.html", form=form, group=None), status, headers


@bp.route("/groups/<slug>", methods=["GET", "POST"])
@login_required
def group_page(slug):
    user = me()
    group = admin.admin_group(user, slug)
    form = GroupForm(data={"slug": group.slug, "name": group.name, "name_fr": group.name_fr,
                           "region": group.region, "description": group.description_source,
                           "description_fr": group.description_fr_source,
                           "private": group.private,
                           "premoderate_new_members": group.premoderate_new_members})
    status, headers = 200, {}
    if request.method == "POST":
        form = GroupForm()
        check_form(form)
        try:
            admin.update_group(user, group.slug, **_group_values(form))
        except ServiceError as error:
            status, headers = show_on_form(form, error)
        else:
            flash(_("The group is saved."), "success")
            return redirect(url_for("admin.group_page", slug=group.slug))
    return render_template("admin/group.html", form=form, group=group,
                           moderators=admin.group_moderators(group),
                           moderator_form=ModeratorForm(), confirm=ConfirmForm()), \
        status, headers


@bp.route("/groups/<slug>/moderators", methods=["POST"])
@login_required
def add_moderator(slug):
    user = me()
    group = admin.admin_group(user, slug)
    form = ModeratorForm()
    check_form(form)
    username = (form.username.data or "").strip()
    try:
        groups.set_group_moderator(user, group.slug, username, True)
    except ServiceError as error:
        if error.status != 404:
            raise
        flash(error.message, "error")
    else:
        flash(_("%(username)s is now a moderator of this group.", username=username),
              "success")
    return redirect(url_for("admin.group_page", slug=group.slug))


@bp.route("/groups/<slug>/moderators/<username>/remove", methods=["POST"])
@login_required
def remove_moderator(slug, username):
    user = me()
    group = admin.admin_group(user, slug)
    check_form(ConfirmForm())
    groups.set_group_moderator(user, group.slug, username, False)
    flash(_("%(username)s is no longer a moderator of this group.", username=username),
          "info")
    return redirect(url_for("admin.group_page", slug=group.slug))


# -- site settings and invitations ------------------------------------------------------


@bp.route("/settings", methods=["GET", "POST"])
@login_required
def settings():
    user = me()
    site.require_admin(user)  # 403 before any form is shown
    current = site.current()
    form = SettingsForm(data={"name": current.name, "welcome": current.welcome_source,
                              "welcome_fr": current.welcome_fr_source,
                              "default_locale": current.default_locale,
                              "registration": current.registration})
    status, headers = 200, {}
    if request.method == "POST":
        form = SettingsForm()
        check_form(form)
        try:
            site.update_settings(user, name=form.name.data, welcome=form.welcome.data,
                                 welcome_fr=form.welcome_fr.data,
                                 default_locale=form.default_locale.data,
                                 registration=form.registration.data)
        except ServiceError as error:
            status, headers = show_on_form(form, error)
        else:
            flash(_("The settings are saved."), "success")
            return redirect(url_for("admin.settings"))
    return render_template("admin/settings.html", form=form, site=current,
                           locale=str(get_locale())), status, headers


def _invitations_page(form, *, status=200, headers=None):
    rows, pager = paginate(site.invitations_query(me()), per_page=INVITATIONS_PER_PAGE)
    return render_template("admin/invitations.html", form=form, rows=rows, pager=pager,
                           confirm=ConfirmForm(), site=site.current(),
                           now=utcnow()), status, headers or {}


@bp.route("/invitations")
@login_required
def invitations():
    return _invitations_page(InvitationForm(locale=site.current().default_locale))


@bp.route("/invitations", methods=["POST"])
@login_required
def invite():
    form = InvitationForm()
    site.require_admin(me())
    check_form(form)
    try:
        invitation = site.create_invitation(me(), form.email.data, locale=form.locale.data,
                                            days=form.days.data)
    except ServiceError as error:
        status, headers = show_on_form(form, error)
        return _invitations_page(form, status=status, headers=headers)
    flash(_("An invitation is on its way to %(email)s.", email=invitation.email), "success")
    return redirect(url_for("admin.invitations"))


@bp.route(f"/invitations/<int(max={MAX_ID}):invitation_id>/revoke", methods=["POST"])
@login_required
def revoke(invitation_id):
    check_form(ConfirmForm())
    try:
        site.revoke_invitation(me(), invitation_id)
    except Conflict as error:
        flash(error.message, "error")
    else:
        flash(_("The invitation is revoked: its link no longer works."), "info")
    return redirect(url_for("admin.invitations"))
