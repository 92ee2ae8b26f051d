"""The knowledge-gap view: where questions go unanswered, by group, region and language, how
long the first answer takes, what people searched for and did not find, which FAQ entries
are due for review and which much-asked tags have no FAQ entry; and the search log it reads.

Every number is a SQL aggregation (GROUP BY) over the period; the page costs the same fixed
number of queries whatever the data size. Medians are taken in Python over one column (the
first-answer delay of each question asked in the period, at most MAX_DAYS of questions).

Scope: site moderators and admins see every group they moderate (admins: all; site
moderators: the groups they can see, as permissions.can_moderate_group says) and the
site-wide searches; a group's own moderators see their groups only. A private group is
counted only for those who moderate it.
"""

import logging
import statistics
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import and_, case, delete, func, insert, literal, or_, select
from sqlalchemy.exc import SQLAlchemyError

from forum import permissions
from forum.errors import InvalidInput, NotFound, PermissionDenied, Unauthorized
from forum.extensions import db
from forum.models import (
    FaqEntry,
    FaqEntryTag,
    Group,
    GroupMembership,
    Post,
    Question,
    QuestionTag,
    SearchLog,
    Tag,
    User,
    utcnow,
)
from forum.services.search import QUERY_MAX, normalise
from forum.services.uow import keep_loaded_after_commit, transactional, unit_of_work

log = logging.getLogger(__name__)

KEEP_DAYS = 90  # the search log keeps 90 days
MAX_DAYS = 731  # the longest period the view computes (two years)
WEEK = timedelta(days=7)
TOP_SEARCHES = 20
TOP_TAGS = 15


# -- the search log ---------------------------------------------------------------------------


def log_search(q, result_count: int, group_id: int | None, lang: str | None) -> None:
    """Write one anonymised SearchLog row: the normalised query (at most 200 characters),
    how many results it found, the group and language filters; nothing about who searched.

    Runs in its own small unit of work (one INSERT), leaving what the search loaded in
    place for the page. An empty query is not logged. Never raises: a search that worked
    is not turned into an error because its log could not be written.
    """
    query = normalise(q if isinstance(q, str) else "")[:QUERY_MAX].strip()
    if not query:
        return
    try:
        with unit_of_work() as session:
            keep_loaded_after_commit()
            session.execute(insert(SearchLog).values(
                query=query, result_count=max(int(result_count or 0), 0), group_id=group_id,
                lang=(lang or "")[:5], created_at=utcnow()))
    except SQLAlchemyError:
        log.exception("the search log could not be written")


@transactional
def purge_search_log(now: datetime | None = None) -> int:
    """Delete the search log's rows older than 90 days; returns how many went (for cron)."""
    cutoff = (now or utcnow()) - timedelta(days=KEEP_DAYS)
    result = db.session.execute(delete(SearchLog).where(SearchLog.created_at < cutoff))
    return result.rowcount or 0


# -- the report -------------------------------------------------------------------------------


@dataclass
class GapRow:
    """Questions asked in the period under one key (a group, a region or a language), those
    still without any answer, and those without an accepted answer (closed ones left out)."""

    key: object
    asked: int = 0
    unanswered: int = 0
    unaccepted: int = 0
    faq_due: int = 0


@dataclass
class GapReport:
    since: datetime
    until: datetime
    groups: list[Group]  # the groups the actor moderates (the filter's choices)
    group: Group | None  # the group chosen, or None for all of them
    site_wide: bool  # the actor sees site-wide searches (site moderators and admins)
    total: GapRow
    by_group: list[GapRow]
    by_region: list[GapRow]
    by_lang: list[GapRow]
    answered_count: int  # questions of the period with at least one answer
    expert_answered_count: int  # ... with an answer by a verified expert
    median_first_answer: float | None  # seconds
    median_first_expert_answer: float | None
    searches: int
    searches_empty: int
    empty_searches: list[tuple[str, int]]  # (normalised query, times), most frequent first
    faq_due: int
    tags_without_faq: list[tuple[str, int]]  # (tag name, questions), most asked first
    weeks: list[date] = field(default_factory=list)  # each week's first day
    asked_by_region: dict[str, list[int]] = field(default_factory=dict)
    answered_by_region: dict[str, list[int]] = field(default_factory=dict)
    weekly_median_hours: list[float | None] = field(default_factory=list)


def _moderated_groups(actor) -> list[Group]:
    """The groups `actor` moderates, by name: one query."""
    if permissions.is_admin(actor):
        stmt = select(Group)
    elif permissions.is_moderator(actor):
        stmt = select(Group).where(permissions.visible_group_clause(actor))
    else:
        stmt = select(Group).join(GroupMembership, and_(
            GroupMembership.group_id == Group.id, GroupMembership.user_id == actor.id,
            GroupMembership.role == "moderator"))
    return list(db.session.scalars(stmt.order_by(Group.name, Group.id)))


def _check_period(since, until) -> tuple[datetime, datetime]:
    errors = {}
    if not isinstance(since, datetime) or since.tzinfo is None:
        errors["since"] = _("Give a date as YYYY-MM-DD.")
    if not isinstance(until, datetime) or until.tzinfo is None:
        errors["until"] = _("Give a date as YYYY-MM-DD.")
    if not errors and until <= since:
        errors["until"] = _("The end must come after the start.")
    if not errors and until - since > timedelta(days=MAX_DAYS):
        errors["since"] = _("Choose a period of at most %(n)d days.", n=MAX_DAYS)
    if errors:
        raise InvalidInput(fields=errors)
    return since, until


def _week_bucket(column, since: datetime, weeks: int):
    """SQL: the index of the week of the period `column` falls in (0 for the first week).

    Written as a CASE over the week boundaries, so SQLite and PostgreSQL agree exactly.
    """
    whens = [(column < since + WEEK * (n + 1), n) for n in range(weeks - 1)]
    return case(*whens, else_=weeks - 1) if whens else literal(0)


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def knowledge_gaps(actor, *, group=None, since: datetime, until: datetime) -> GapReport:
    """The knowledge-gap report over [since, until) for the groups `actor` moderates, or for
    the one group `group` (a slug or a Group).

    Raises Unauthorized (anonymous), PermissionDenied (not a moderator of any group, or not
    of this one), NotFound (no such group, or a private one the actor cannot see) and
    InvalidInput (fields since, until). Eight queries whatever the data size.
    """
    if not permissions.is_user(actor):
        raise Unauthorized(_("Log in to see this page."))
    since, until = _check_period(since, until)
    groups = _moderated_groups(actor)
    site_wide = permissions.is_moderator(actor)
    if not groups and not site_wide:
        raise PermissionDenied(_("Only moderators see the knowledge gaps."))
    chosen = None
    if group is not None and group != "":
        slug = group.slug if isinstance(group, Group) else str(group)
        chosen = next((g for g in groups if g.slug == slug), None)
        if chosen is None:
            found = db.session.scalar(select(Group).where(Group.slug == slug))
            if found is None or not permissions.can_view_group(actor, found):
                raise NotFound(_("No such group."))
            raise PermissionDenied(_("You do not moderate this group."))
    scope = [chosen] if chosen is not None else groups
    scope_ids = [g.id for g in scope]
    by_id = {g.id: g for g in scope}

    in_period = and_(Question.group_id.in_(scope_ids), Question.deleted_at.is_(None),
                     Question.hidden_at.is_(None), Question.created_at >= since,
                     Question.created_at < until)
    unanswered = and_(Question.answer_count == 0, Question.closed_at.is_(None))
    unaccepted = and_(Question.accepted_answer_id.is_(None), Question.closed_at.is_(None))

    # 1. Questions, unanswered and unaccepted, by group and language.
    rows = db.session.execute(
        select(Question.group_id, Question.lang, func.count(),
               func.sum(case((unanswered, 1), else_=0)),
               func.sum(case((unaccepted, 1), else_=0)))
        .where(in_period).group_by(Question.group_id, Question.lang)).all()
    total = GapRow(key=None)
    groups_rows = {g.id: GapRow(key=g) for g in scope}
    regions: dict[str, GapRow] = {}
    langs: dict[str, GapRow] = {}
    for group_id, lang, asked, no_answer, no_accepted in rows:
        region = by_id[group_id].region or ""
        for row in (total, groups_rows[group_id], regions.setdefault(region, GapRow(region)),
                    langs.setdefault(lang or "", GapRow(lang or ""))):
            row.asked += asked
            row.unanswered += int(no_answer or 0)
            row.unaccepted += int(no_accepted or 0)

    # 2. FAQ entries due for review, by group.
    today = utcnow().date()
    for group_id, due in db.session.execute(
            select(FaqEntry.group_id, func.count())
            .where(FaqEntry.group_id.in_(scope_ids), FaqEntry.status == "current",
                   FaqEntry.review_by < today)
            .group_by(FaqEntry.group_id)).all():
        groups_rows[group_id].faq_due = due
    faq_due = sum(row.faq_due for row in groups_rows.values())

    # 3. Each question's first answer, and first answer by a verified expert (the index on
    # posts (question_id, created_at) serves both).
    answer = and_(Post.question_id == Question.id, Post.parent_id.is_(None),
                  Post.deleted_at.is_(None), Post.hidden_at.is_(None))
    first = select(func.min(Post.created_at)).where(answer) \
        .correlate(Question).scalar_subquery()
    first_expert = select(func.min(Post.created_at)) \
        .join(User, User.id == Post.author_id) \
        .where(answer, User.verified_expert.is_(True)).correlate(Question).scalar_subquery()
    delays = db.session.execute(
        select(Question.created_at, first.label("first"), first_expert.label("expert"))
        .where(in_period)).all()
    weeks = max(1, -(-(until - since) // WEEK))
    to_first: list[float] = []
    to_expert: list[float] = []
    weekly: list[list[float]] = [[] for _n in range(weeks)]
    for created, first_at, expert_at in delays:
        if first_at is not None:
            seconds = max((first_at - created).total_seconds(), 0.0)
            to_first.append(seconds)
            weekly[min((created - since) // WEEK, weeks - 1)].append(seconds / 3600)
        if expert_at is not None:
            to_expert.append(max((expert_at - created).total_seconds(), 0.0))

    # 4. Questions asked and answered per week, by region.
    bucketed = select(Group.region.label("region"),
                      _week_bucket(Question.created_at, since, weeks).label("week"),
                      case((Question.answer_count > 0, 1), else_=0).label("answered")) \
        .join(Group, Group.id == Question.group_id).where(in_period).subquery()
    asked_by_region: dict[str, list[int]] = {}
    answered_by_region: dict[str, list[int]] = {}
    for region, week, asked, answered in db.session.execute(
            select(bucketed.c.region, bucketed.c.week, func.count(),
                   func.sum(bucketed.c.answered))
            .group_by(bucketed.c.region, bucketed.c.week)).all():
        region = region or ""
        asked_by_region.setdefault(region, [0] * weeks)[int(week)] = asked
        answered_by_region.setdefault(region, [0] * weeks)[int(week)] = int(answered or 0)

    # 5. Searches: how many, how many found nothing, and the most frequent of those. Group
    # moderators see the searches filtered on their groups; site moderators and admins also
    # the searches across every group (no group filter).
    searched = and_(SearchLog.created_at >= since, SearchLog.created_at < until)
    if chosen is None and site_wide:
        searched = and_(searched, or_(SearchLog.group_id.in_(scope_ids),
                                      SearchLog.group_id.is_(None)))
    else:
        searched = and_(searched, SearchLog.group_id.in_(scope_ids))
    searches, searches_empty = db.session.execute(
        select(func.count(), func.sum(case((SearchLog.result_count == 0, 1), else_=0)))
        .where(searched)).one()
    times = func.count().label("times")
    empty_searches = [(query, n) for query, n in db.session.execute(
        select(SearchLog.query, times).where(searched, SearchLog.result_count == 0)
        .group_by(SearchLog.query).order_by(times.desc(), SearchLog.query)
        .limit(TOP_SEARCHES)).all()]

    # 6. The most-asked tags of the period that no current FAQ entry the actor can read
    # carries.
    faq_tags = select(FaqEntryTag.tag_id).join(FaqEntry, FaqEntry.id == FaqEntryTag.entry_id) \
        .where(FaqEntry.status == "current")
    if not permissions.is_admin(actor):
        faq_tags = faq_tags.where(FaqEntry.group_id.not_in(permissions.hidden_group_ids(actor)))
    asked = func.count(QuestionTag.question_id).label("asked")
    tags_without_faq = [(name, n) for name, n in db.session.execute(
        select(Tag.name, asked).join(QuestionTag, QuestionTag.tag_id == Tag.id)
        .join(Question, Question.id == QuestionTag.question_id)
        .where(in_period, Tag.id.not_in(faq_tags))
        .group_by(Tag.id, Tag.name).order_by(asked.desc(), Tag.name).limit(TOP_TAGS)).all()]

    return GapReport(
        since=since, until=until, groups=groups, group=chosen, site_wide=site_wide,
        total=total,
        by_group=[groups_rows[g.id] for g in scope],
        by_region=sorted(regions.values(), key=lambda r: (r.key == "", r.key)),
        by_lang=sorted(langs.values(), key=lambda r: r.key),
        answered_count=len(to_first), expert_answered_count=len(to_expert),
        median_first_answer=_median(to_first), median_first_expert_answer=_median(to_expert),
        searches=int(searches or 0), searches_empty=int(searches_empty or 0),
        empty_searches=empty_searches, faq_due=faq_due, tags_without_faq=tags_without_faq,
        weeks=[(since + WEEK * n).date() for n in range(weeks)],
        asked_by_region=dict(sorted(asked_by_region.items())),
        answered_by_region=dict(sorted(answered_by_region.items())),
        weekly_median_hours=[_median(values) for values in weekly],
    )
