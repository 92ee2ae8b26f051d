"""Following pages: the Following page (what you follow, by kind, with levels), and the
forms that follow, set a level and unfollow; each POSTs with CSRF and goes back to a safe
`next`. Question, tag and group pages place `follows/_button.html`, which reads the reader's
level through `follow_level()` (one query, signed-in readers only)."""

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import login_required
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField

from forum.follows import bp
from forum.pages import check_form, me
from forum.services import follows
from forum.web import safe_next

ONE = "/following/<target_type>/<key>"


class FollowForm(FlaskForm):
    """Follow, or change the level; the service validates the level."""

    level = StringField()  # the template draws the <select>
    next = HiddenField()


class UnfollowForm(FlaskForm):
    next = HiddenField()


@bp.app_context_processor
def follow_helpers():
    """`follow_level(type, id)` for the follow button: the signed-in reader's level, or
    None (anonymous readers get None without a query, so cached pages stay the same)."""

    def follow_level(target_type, target_id):
        return follows.level_of(me(), target_type, target_id)

    return {"follow_level": follow_level, "follow_levels": follows.LEVELS}


@bp.route("/following")
@login_required
def following():
    """What the signed-in member follows, by kind, each with its level."""
    return render_template("follows/following.html", found=follows.follows_of(me()))


@bp.route(ONE, methods=["POST"])
@login_required
def follow(target_type, key):
    form = FollowForm()
    check_form(form)
    # No level sent (the plain "Follow" button): "all" for a new follow, else kept.
    _target, level = follows.follow(me(), target_type, key, level=form.level.data or None)
    flash(_("Followed (%(level)s).", level=level_label(level)), "success")
    return redirect(safe_next(form.next.data, url_for("follows.following")))


@bp.route(f"{ONE}/unfollow", methods=["POST"])
@login_required
def unfollow(target_type, key):
    form = UnfollowForm()
    check_form(form)
    follows.unfollow(me(), target_type, key)
    flash(_("Unfollowed."), "success")
    return redirect(safe_next(form.next.data, url_for("follows.following")))


def level_label(level: str) -> str:
    return {"all": _("every new item"), "digest": _("digest only"),
            "muted": _("muted")}.get(level, level)


@bp.app_template_filter("follow_level_label")
def follow_level_label(level: str) -> str:
    """The level's words in the reader's language."""
    return level_label(level)
