"""The knowledge-gap view (GET /moderation/insight): where questions go unanswered, how long
the first answer takes, what people searched for in vain, and the FAQ's gaps, for the groups
the reader moderates; filters: a group and a period (the last 30, 90 or 365 days, or from and
to dates). A thin view over forum.services.insight, which authorizes and counts."""

from datetime import UTC, date, datetime, timedelta

from flask import render_template, request, url_for
from flask_babel import format_date, format_decimal
from flask_login import login_required

from forum.errors import InvalidInput
from forum.i18n import gettext as _
from forum.models import utcnow
from forum.moderation import bp
from forum.moderation.charts import line_chart
from forum.pages import me
from forum.services import insight

PERIODS = ("30", "90", "365")
DEFAULT_PERIOD = "30"


def _day(value: str, field: str, errors: dict) -> datetime | None:
    try:
        return datetime.combine(date.fromisoformat(value), datetime.min.time(), tzinfo=UTC)
    except ValueError:
        errors[field] = _("Give a date as YYYY-MM-DD.")
        return None


def _period(form: dict) -> tuple[datetime, datetime, dict]:
    """[since, until) from ?from=&to= (whole days, `to` included) or ?period=; errors by
    field."""
    errors: dict = {}
    now = utcnow()
    if form["from"] or form["to"]:
        since = _day(form["from"], "from", errors) if form["from"] else None
        until = _day(form["to"], "to", errors) if form["to"] else None
        if not errors:
            until = until + timedelta(days=1) if until else now
            since = since or until - timedelta(days=int(DEFAULT_PERIOD))
            return since, until, errors
    days = int(form["period"] if form["period"] in PERIODS else DEFAULT_PERIOD)
    return now - timedelta(days=days), now, errors


def duration(seconds: float | None) -> str:
    """A delay in the reader's language: minutes, hours or days."""
    if seconds is None:
        return _("none yet")
    if seconds < 3600:
        return _("%(n)d min", n=round(seconds / 60))
    if seconds < 48 * 3600:
        return _("%(n)s h", n=decimal(seconds / 3600))
    return _("%(n)s days", n=decimal(seconds / 86400))


def decimal(value: float) -> str:
    """A number with one decimal, in the reader's language (3.5, 3,5)."""
    return format_decimal(value, format="0.0")


def _charts(report) -> dict:
    labels = [format_date(day, format="d MMM") for day in report.weeks]

    def region_name(key: str) -> str:
        return key or _("No region")

    return {
        "asked": line_chart(
            "chart-asked", _("Questions asked per week, by region"),
            _("One line per region; the table below gives every number."), labels,
            [(region_name(k), v) for k, v in report.asked_by_region.items()]),
        "answered": line_chart(
            "chart-answered", _("Questions answered per week, by region"),
            _("Questions asked that week that have at least one answer, one line per region;"
              " the table below gives every number."), labels,
            [(region_name(k), v) for k, v in report.answered_by_region.items()]),
        "median": line_chart(
            "chart-median", _("Median time to first answer per week (hours)"),
            _("For the questions asked each week that have an answer; the table below gives "
              "every number."), labels,
            [(_("Median hours"), report.weekly_median_hours)]),
    }


def _list_url(group=None, **args) -> str:
    """The question list behind a number: a group's page or /questions, with filters."""
    if group is not None:
        return url_for("groups.group", slug=group.slug, **args)
    return url_for("qa.questions", **args)


@bp.route("/moderation/insight")
@login_required
def insight_page():
    """The knowledge-gap view; ?group=&period=30|90|365 or ?from=&to= (YYYY-MM-DD)."""
    user = me()
    form = {name: (request.args.get(name) or "").strip()[:20]
            for name in ("group", "period", "from", "to")}
    since, until, errors = _period(form)
    status = 200
    try:
        report = insight.knowledge_gaps(user, group=form["group"] or None, since=since,
                                        until=until)
    except InvalidInput as error:
        errors.update(error.fields or {})
        now = utcnow()
        report = insight.knowledge_gaps(user, group=form["group"] or None,
                                        since=now - timedelta(days=int(DEFAULT_PERIOD)),
                                        until=now)
    if errors:
        status = 422
    return render_template(
        "moderation/insight.html", report=report, form=form, errors=errors,
        periods=PERIODS, charts=_charts(report), duration=duration, decimal=decimal,
        list_url=_list_url,
        last_day=(report.until - timedelta(microseconds=1)).date()), status
