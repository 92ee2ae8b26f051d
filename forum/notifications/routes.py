"""Notification pages: the list (newest first, unread ones marked), mark one read, mark all
read, and open one (marks it read, then goes to its item). Every change is a POST form."""

from flask import redirect, render_template, url_for
from flask_login import login_required

from forum.notifications import bp
from forum.pages import ConfirmForm, check_form, me, paginate
from forum.services import inputs, notifications
from forum.web import safe_next

ONE = f"/notifications/<int(max={inputs.MAX_ID}):notification_id>"


@bp.route("/notifications")
@login_required
def index():
    """The signed-in member's notifications, newest first, paged."""
    items, pager = paginate(notifications.notifications_query(me()))
    return render_template("notifications/index.html", items=items, pager=pager,
                           form=ConfirmForm())


@bp.route(f"{ONE}/read", methods=["POST"])
@login_required
def mark_read(notification_id):
    check_form(ConfirmForm())
    notifications.mark_read(me(), notification_id)
    return redirect(url_for("notifications.index"))


@bp.route(f"{ONE}/open", methods=["POST"])
@login_required
def open_one(notification_id):
    """Mark it read and go where it leads."""
    check_form(ConfirmForm())
    found = notifications.mark_read(me(), notification_id)
    return redirect(safe_next(found.url, url_for("notifications.index")))


@bp.route("/notifications/read-all", methods=["POST"])
@login_required
def mark_all_read():
    check_form(ConfirmForm())
    notifications.mark_all_read(me())
    return redirect(url_for("notifications.index"))
