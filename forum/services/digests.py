"""Daily and weekly digests by email (`flask --app wsgi digests send --period daily|weekly`,
meant for cron).

A member's digest carries what came since the last ones, never an item twice:
- new questions in the groups, tags and people they follow (levels "all" and "digest"; a
  muted group, tag or question stays out), when their `new_question` mail setting is this
  period (the default is daily);
- unanswered questions whose tags match their expertise (same setting);
- their unread notifications of the kinds they set to this period.
Only questions they may read (public groups and their own private groups), never their own,
and only to confirmed addresses.

Delivery is at most once. Members are taken in batches: a batch's deliveries are recorded
as "sending", with the items they carry, and committed before the first SMTP command; each
is marked "sent" after its message left. A run that dies between the two never sends those
digests again (one delivery per member, period and period start); the next run logs them.
The work is a fixed number of queries per batch, whatever the members follow.
"""

from __future__ import annotations

import html
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import and_, insert, or_, select, update

from forum import mail
from forum.extensions import db
from forum.models import (
    DIGEST_PERIODS,
    DigestDelivery,
    DigestItem,
    Follow,
    Group,
    GroupMembership,
    Notification,
    Question,
    QuestionTag,
    Tag,
    User,
)
from forum.models.base import utcnow
from forum.services.accounts import external_url
from forum.services.mailing import ALL_KINDS, absolute, deliveries_of, unsubscribe_url
from forum.services.profiles import expertise_of
from forum.services.uow import keep_loaded_after_commit, unit_of_work

log = logging.getLogger(__name__)

BATCH = 200  # members per batch: one set of queries, one commit before and one after SMTP
EXPERTISE_DAYS = 30  # how far back unanswered questions in a member's expertise are looked for
MAX_ITEMS = 40  # per section: a digest stays short on a phone


@dataclass
class DigestReport:
    period: str
    period_start: datetime
    considered: int = 0  # members with a confirmed address who get this period's digest
    sent: int = 0
    empty: int = 0  # nothing new for them
    already: int = 0  # had this period's digest already
    failed: int = 0  # SMTP refused it: logged, left "sending", never tried again
    stuck: list[int] = field(default_factory=list)  # left "sending" by an earlier run


def period_start(period: str, now: datetime) -> datetime:
    """The start of the day (daily) or of the ISO week (weekly) that `now` is in, UTC."""
    day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    return day if period == "daily" else day - timedelta(days=day.weekday())


def _window(period: str) -> timedelta:
    # Twice the period: a run that was missed is caught up by the next one; items are never
    # repeated because each delivery records what it carried.
    return timedelta(days=2 if period == "daily" else 14)


@dataclass
class _Item:
    kind: str  # "question" or "notification"
    item_id: int
    title: str
    url: str
    where: str = ""


def send_digests(period: str, *, now: datetime | None = None) -> DigestReport:
    """Build and send this period's digests; see the module's docstring."""
    if period not in DIGEST_PERIODS:
        raise ValueError(f"period must be one of {DIGEST_PERIODS}")
    now = now or utcnow()
    start = period_start(period, now)
    report = DigestReport(period=period, period_start=start)
    with unit_of_work():
        report.stuck = list(db.session.scalars(
            select(DigestDelivery.user_id).where(DigestDelivery.period == period,
                                                 DigestDelivery.state == "sending")))
    for user_id in report.stuck:
        log.warning("digest %s for user %s was left 'sending' by an earlier run: it may or "
                    "may not have left, and is not sent again", period, user_id)
    last_id = 0
    while True:
        with unit_of_work():
            keep_loaded_after_commit()  # the batch reads them after this commit
            members = db.session.scalars(
                select(User).where(User.id > last_id, User.deleted_at.is_(None),
                                   User.email_confirmed_at.is_not(None))
                .order_by(User.id).limit(BATCH)).all()
        if not members:
            break
        last_id = members[-1].id
        _send_batch(members, period, start, now, report)
    return report


def _send_batch(members: list[User], period: str, start: datetime, now: datetime,
                report: DigestReport) -> None:
    with unit_of_work() as session:
        keep_loaded_after_commit()  # members are read again after this commit
        settings = deliveries_of(m.id for m in members)
        wanted = [m for m in members if period in settings[m.id].values()]
        report.considered += len(wanted)
        if not wanted:
            return
        done = set(session.scalars(select(DigestDelivery.user_id).where(
            DigestDelivery.user_id.in_([m.id for m in wanted]),
            DigestDelivery.period == period, DigestDelivery.period_start == start)))
        report.already += len(done)
        wanted = [m for m in wanted if m.id not in done]
        contents = _contents(wanted, settings, period, now)
        report.empty += sum(1 for m in wanted if not contents.get(m.id))
        wanted = [m for m in wanted if contents.get(m.id)]
        if not wanted:
            return
        # Written and committed before any mail leaves: at most once. (Core inserts: one
        # statement for the batch, then one to read the new ids back.)
        session.execute(insert(DigestDelivery), [
            {"user_id": member.id, "period": period, "period_start": start, "state": "sending",
             "started_at": now,
             "item_count": sum(len(items) for items in contents[member.id].values())}
            for member in wanted])
        delivery_ids = dict(session.execute(
            select(DigestDelivery.user_id, DigestDelivery.id)
            .where(DigestDelivery.user_id.in_([m.id for m in wanted]),
                   DigestDelivery.period == period, DigestDelivery.period_start == start)).all())
        session.execute(insert(DigestItem), [
            {"user_id": member.id, "item_type": item.kind, "item_id": item.item_id,
             "delivery_id": delivery_ids[member.id]}
            for member in wanted for items in contents[member.id].values() for item in items])
        messages = {member.id: _message(member, period, contents[member.id])
                    for member in wanted}
    sent = []
    with mail.Batch() as batch:
        for member in wanted:
            try:
                batch.send(messages[member.id])
            except Exception:  # noqa: BLE001 - one refused address must not stop the run
                report.failed += 1
                log.exception("digest %s to user %s was refused", period, member.id)
                continue
            sent.append(delivery_ids[member.id])
    if sent:
        with unit_of_work() as session:
            session.execute(update(DigestDelivery).where(DigestDelivery.id.in_(sent))
                            .values(state="sent", sent_at=utcnow()))
    report.sent += len(sent)


def _contents(members: list[User], settings, period: str, now: datetime):
    """{member id: {section: [items]}}, in a fixed number of queries for the whole batch."""
    ids = [m.id for m in members]
    since = now - _window(period)
    news_for = {m.id for m in members if settings[m.id].get("new_question") == period}
    follows = defaultdict(lambda: defaultdict(set))  # member -> target type -> ids
    muted = defaultdict(lambda: defaultdict(set))
    for user_id, target_type, target_id, level in db.session.execute(
            select(Follow.user_id, Follow.target_type, Follow.target_id, Follow.level)
            .where(Follow.user_id.in_(ids))):
        (muted if level == "muted" else follows)[user_id][target_type].add(target_id)
    member_of = defaultdict(set)
    for user_id, group_id in db.session.execute(
            select(GroupMembership.user_id, GroupMembership.group_id)
            .where(GroupMembership.user_id.in_(ids))):
        member_of[user_id].add(group_id)
    expertise = {member_id: set(names) for member_id, names in expertise_of(ids).items()}

    # Candidate questions: new ones (for follows) and unanswered older ones (expertise).
    oldest = now - timedelta(days=EXPERTISE_DAYS)
    rows = db.session.execute(
        select(Question.id, Question.title, Question.group_id, Question.author_id,
               Question.created_at, Question.answer_count, Group.private, Group.name,
               Group.name_fr)
        .join(Group, Group.id == Question.group_id)
        .where(Question.deleted_at.is_(None), Question.closed_at.is_(None),
               Question.hidden_at.is_(None),
               or_(Question.created_at >= since,
                   and_(Question.answer_count == 0, Question.created_at >= oldest)))
        .order_by(Question.id.desc()).limit(2000)).all()
    tags_of = defaultdict(set)
    tag_names_of = defaultdict(set)
    if rows:
        for question_id, tag_id, name in db.session.execute(
                select(QuestionTag.question_id, QuestionTag.tag_id, Tag.name)
                .join(Tag, Tag.id == QuestionTag.tag_id)
                .where(QuestionTag.question_id.in_([r.id for r in rows]))):
            tags_of[question_id].add(tag_id)
            tag_names_of[question_id].add(name.lower())
    notes = defaultdict(list)
    digest_kinds = {m.id: {k for k, v in settings[m.id].items() if v == period} for m in members}
    for note in db.session.scalars(
            select(Notification).where(Notification.user_id.in_(ids),
                                       Notification.read_at.is_(None),
                                       Notification.created_at >= since)
            .order_by(Notification.id)):
        if note.kind in digest_kinds[note.user_id] and note.kind != "new_question":
            notes[note.user_id].append(note)
    # What earlier digests carried, among these candidates only (not a member's whole past).
    sent_before = defaultdict(set)
    note_ids = [n.id for found in notes.values() for n in found]
    carried = []
    if rows:
        carried.append(and_(DigestItem.item_type == "question",
                            DigestItem.item_id.in_([r.id for r in rows])))
    if note_ids:
        carried.append(and_(DigestItem.item_type == "notification",
                            DigestItem.item_id.in_(note_ids)))
    if carried:
        for user_id, item_type, item_id in db.session.execute(
                select(DigestItem.user_id, DigestItem.item_type, DigestItem.item_id)
                .where(DigestItem.user_id.in_(ids), or_(*carried))):
            sent_before[user_id].add((item_type, item_id))

    # Index the candidates once, so each member's work is what they follow, not every row.
    by_id = {row.id: row for row in rows}
    new_by = {"group": defaultdict(list), "tag": defaultdict(list), "user": defaultdict(list)}
    unanswered_by_tag = defaultdict(list)
    for row in rows:
        if row.created_at >= since:
            new_by["group"][row.group_id].append(row.id)
            new_by["user"][row.author_id].append(row.id)
            for tag_id in tags_of[row.id]:
                new_by["tag"][tag_id].append(row.id)
        if row.answer_count == 0:
            for name in tag_names_of[row.id]:
                unanswered_by_tag[name].append(row.id)
    urls: dict[int, str] = {}

    def item(row, member) -> _Item:
        if row.id not in urls:
            urls[row.id] = external_url("qa.question", question_id=row.id)
        return _Item("question", row.id, row.title, urls[row.id], _where(row, member))

    def allowed(row, member, seen, quiet) -> bool:
        return (("question", row.id) not in seen and row.author_id != member.id
                and (not row.private or row.group_id in member_of[member.id])
                and row.group_id not in quiet["group"] and row.id not in quiet["question"]
                and not tags_of[row.id] & quiet["tag"])

    contents = {}
    for member in members:
        mine = {"new": [], "expertise": [], "notifications": []}
        seen, quiet, followed = sent_before[member.id], muted[member.id], follows[member.id]
        if member.id in news_for:
            new_ids = set()
            for target_type, index in new_by.items():
                for target_id in followed[target_type]:
                    new_ids.update(index.get(target_id, ()))
            for question_id in sorted(new_ids, reverse=True):
                row = by_id[question_id]
                if allowed(row, member, seen, quiet):
                    mine["new"].append(item(row, member))
                    if len(mine["new"]) >= MAX_ITEMS:
                        break
            expert_ids = set()
            for name in expertise.get(member.id, ()):
                expert_ids.update(unanswered_by_tag.get(name, ()))
            for question_id in sorted(expert_ids - new_ids, reverse=True):
                row = by_id[question_id]
                if allowed(row, member, seen, quiet):
                    mine["expertise"].append(item(row, member))
                    if len(mine["expertise"]) >= MAX_ITEMS:
                        break
        for note in notes[member.id][:MAX_ITEMS]:
            if ("notification", note.id) not in seen:
                mine["notifications"].append(_Item("notification", note.id, note.text,
                                                   absolute(note.url)))
        if any(mine.values()):
            contents[member.id] = mine
    return contents


def _where(row, member: User) -> str:
    return row.name_fr if (member.locale == "fr" and row.name_fr) else row.name


def _message(member: User, period: str, sections: dict[str, list[_Item]]):
    """The digest mail: plain text and a light HTML part, in the member's language."""
    with force_locale(member.locale or "en"):
        subject = (_("Your daily Tacit digest") if period == "daily"
                   else _("Your weekly Tacit digest"))
        titles = {
            "new": _("New in what you follow"),
            "expertise": _("Unanswered, in your expertise"),
            "notifications": _("For you"),
        }
        link = unsubscribe_url(member, ALL_KINDS)
        settings = external_url("notifications.mail_settings")
        text_parts = [_("Hello %(name)s,", name=member.name), ""]
        html_parts = [f"<p>{html.escape(_('Hello %(name)s,', name=member.name))}</p>"]
        for key, items in sections.items():
            if not items:
                continue
            text_parts += [titles[key], ""]
            html_parts.append(f"<h2>{html.escape(titles[key])}</h2><ul>")
            for item in items:
                where = f" ({item.where})" if item.where else ""
                text_parts += [f"- {item.title}{where}", f"  {item.url}"]
                html_parts.append(
                    f'<li><a href="{html.escape(item.url)}">{html.escape(item.title)}</a>'
                    f"{html.escape(where)}</li>")
            text_parts.append("")
            html_parts.append("</ul>")
        footer = _("Change what you get by mail: %(settings)s\nStop all Tacit mail: "
                   "%(unsubscribe)s", settings=settings, unsubscribe=link)
        text_parts.append(footer)
        html_parts.append("<p>" + html.escape(footer).replace("\n", "<br>") + "</p>")
        return mail.build_message(member.email, subject, "\n".join(text_parts) + "\n",
                                  html="\n".join(html_parts), unsubscribe_url=link)

