"""Routing: bring a new question to the people who can answer it.

When a question is posted, `suggest()` ranks possible answerers (`rank()`) and keeps the
top five as QuestionRoute rows ("suggested"). The asker, or a moderator of the question's
group, then asks some of them (`ask()`): the row becomes "asked" and the person is notified.
Moderators may also route a question by hand to anyone who can read it.

The scoring lives here and only here; its weights are the constants below. A person needs
topical evidence (declared expertise in the question's tags, or answers on earlier questions
carrying them) to be a candidate at all: region and language only order the candidates.
Never suggested: the asker, deleted accounts, people who paused routing, and anyone who
cannot read the question (a private group's questions go to its members only; an
administrator who is not a member is not suggested either).
"""

from dataclasses import dataclass
from datetime import timedelta

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import and_, case, exists, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import defer, joinedload, selectinload

from forum import permissions
from forum.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from forum.extensions import db
from forum.models import (
    Group,
    GroupMembership,
    Post,
    Question,
    QuestionRoute,
    QuestionTag,
    User,
    UserExpertise,
    UserLanguage,
    language_name,
    utcnow,
)
from forum.models.user import author_columns
from forum.services import notifications
from forum.services.inputs import as_id, require_active
from forum.services.uow import savepoint, transactional

# -- the weights ------------------------------------------------------------------------

# Per question tag the person declared as an area of expertise: what they say they know.
W_DECLARED = 3.0
# Per accepted answer on an earlier question carrying one of the tags (recency-weighted):
# the asker said it solved their problem, the strongest evidence there is.
W_ACCEPTED = 2.0
# Per answer with a positive score on such a question (recency-weighted): others found it
# useful. An accepted answer that is also upvoted earns both.
W_UPVOTED = 1.0
# Answers lose half their weight every HALF_LIFE_DAYS: who answered well last month knows
# today's stock levels and protocols better than who answered well three years ago.
HALF_LIFE_DAYS = 180
# Answer evidence per tag stops growing here, so one prolific answerer of a tag does not
# bury every specialist (and the load penalty can still move questions on to others).
ANSWER_CAP_PER_TAG = 8.0
# The person's region equals the region of the question's group (case-insensitive): they
# know the health system, the suppliers and the rules the asker works with.
W_REGION = 2.0
# They speak a language of the asker's (or the question's language): they can talk.
W_LANGUAGE = 1.5
# The verified-expert badge: first among equals, never above real evidence.
W_VERIFIED = 0.5
# Per question already asked of them in the last LOAD_DAYS, still open (no accepted answer,
# not closed or deleted) and that they have not answered: busy people drop down, so
# questions spread instead of piling on the same expert.
W_LOAD = 1.5
LOAD_DAYS = 7

SUGGESTED = 5   # rows stored per question by suggest()
POOL = 200      # best candidates by evidence kept for the language and load queries
MAX_ASK = 10    # usernames per ask()
WHY_TAGS = 3    # tags named in one reason of `why`

# Recency in portable SQL: an answer's age falls in one of these bands (days), weighted by
# the exponential decay at the band's middle; older answers weigh as the last band's end.
AGE_BANDS = (0, 30, 60, 90, 120, 180, 240, 300, 365, 450, 540, 730, 1095)


def decay(days: float) -> float:
    """The weight of evidence `days` old: halves every HALF_LIFE_DAYS."""
    return 0.5 ** (days / HALF_LIFE_DAYS)


@dataclass
class Candidate:
    """One person who could answer, their score and why (a list of [reason, detail])."""

    user: User
    score: float
    why: list


@dataclass
class Score:
    """What rank() knows of one candidate while it scores them."""

    user_id: int
    region: str = ""
    verified: bool = False
    declared: list | None = None        # tag ids
    accepted: dict | None = None        # tag id -> weighted evidence
    upvoted: dict | None = None         # tag id -> weighted evidence
    languages: list | None = None       # shared codes
    load: int = 0

    def topical(self) -> float:
        total = W_DECLARED * len(self.declared or ())
        tags = set(self.accepted or ()) | set(self.upvoted or ())
        for tag_id in tags:
            total += min(ANSWER_CAP_PER_TAG, (self.accepted or {}).get(tag_id, 0.0)
                         + (self.upvoted or {}).get(tag_id, 0.0))
        return total


def _eligible(question: Question):
    """SQL condition on User: may be suggested for `question`."""
    clause = and_(User.deleted_at.is_(None), User.routing_paused.is_(False))
    if question.author_id is not None:
        clause = and_(clause, User.id != question.author_id)
    if question.group.private:
        clause = and_(clause, exists().where(GroupMembership.group_id == question.group_id,
                                             GroupMembership.user_id == User.id))
    return clause


def _recency(now):
    """SQL: the decay weight of Post.created_at, by AGE_BANDS."""
    whens = []
    for low, high in zip(AGE_BANDS, AGE_BANDS[1:], strict=False):
        whens.append((Post.created_at >= now - timedelta(days=high), decay((low + high) / 2)))
    return case(*whens, else_=decay(AGE_BANDS[-1]))


def rank(question: Question, limit: int = SUGGESTED) -> list[Candidate]:
    """The best people to answer `question`, best first, at most `limit`; at most seven
    queries however many candidates there are."""
    tags = {tag.id: tag.name for tag in question.tags}
    if not tags:
        return []
    now = utcnow()
    eligible = _eligible(question)
    scores: dict[int, Score] = {}

    def score_of(user_id, region, verified) -> Score:
        found = scores.get(user_id)
        if found is None:
            found = scores[user_id] = Score(user_id, region or "", bool(verified))
        return found

    for user_id, tag_id, region, verified in db.session.execute(
            select(UserExpertise.user_id, UserExpertise.tag_id, User.region,
                   User.verified_expert)
            .join(User, User.id == UserExpertise.user_id)
            .where(UserExpertise.tag_id.in_(list(tags)), eligible)):
        found = score_of(user_id, region, verified)
        found.declared = [*(found.declared or ()), tag_id]

    # Evidence from public groups and from the question's own group: what the question's
    # readers could see (nothing leaks from a private group into another's suggestions).
    weight = _recency(now)
    accepted = Question.accepted_answer_id == Post.id
    rows = db.session.execute(
        select(Post.author_id, QuestionTag.tag_id, User.region, User.verified_expert,
               func.sum(case((accepted, weight), else_=0.0)),
               func.sum(case((Post.score > 0, weight), else_=0.0)))
        .join(Question, Question.id == Post.question_id)
        .join(QuestionTag, QuestionTag.question_id == Question.id)
        .join(Group, Group.id == Question.group_id)
        .join(User, User.id == Post.author_id)
        .where(QuestionTag.tag_id.in_(list(tags)), Post.parent_id.is_(None),
               Post.deleted_at.is_(None), Question.deleted_at.is_(None),
               Question.id != question.id, or_(accepted, Post.score > 0),
               or_(Group.private.is_(False), Group.id == question.group_id), eligible)
        .group_by(Post.author_id, QuestionTag.tag_id, User.region, User.verified_expert))
    for user_id, tag_id, region, verified, acc, up in rows:
        found = score_of(user_id, region, verified)
        if acc:
            found.accepted = {**(found.accepted or {}), tag_id: W_ACCEPTED * float(acc)}
        if up:
            found.upvoted = {**(found.upvoted or {}), tag_id: W_UPVOTED * float(up)}
    if not scores:
        return []

    group_region = (question.group.region or "").strip().casefold()

    def base(item: Score) -> float:
        total = item.topical()
        if group_region and item.region.strip().casefold() == group_region:
            total += W_REGION
        if item.verified:
            total += W_VERIFIED
        return total

    pool = sorted(scores.values(), key=lambda item: (-base(item), item.user_id))[:POOL]
    pool_ids = [item.user_id for item in pool]
    spoken: dict[int, list[str]] = {}
    for user_id, code in db.session.execute(
            select(UserLanguage.user_id, UserLanguage.code)
            .where(UserLanguage.user_id.in_([*pool_ids, question.author_id or 0]))
            .order_by(UserLanguage.user_id, UserLanguage.position)):
        spoken.setdefault(user_id, []).append(code)
    wanted = list(spoken.pop(question.author_id or 0, []))
    if question.lang and question.lang not in wanted:
        wanted.append(question.lang)
    for item in pool:
        item.languages = [code for code in wanted if code in spoken.get(item.user_id, ())]
    answered = exists().where(Post.question_id == QuestionRoute.question_id,
                              Post.author_id == QuestionRoute.user_id,
                              Post.parent_id.is_(None), Post.deleted_at.is_(None))
    loads = dict(db.session.execute(
        select(QuestionRoute.user_id, func.count())
        .join(Question, Question.id == QuestionRoute.question_id)
        .where(QuestionRoute.user_id.in_(pool_ids), QuestionRoute.state == "asked",
               QuestionRoute.asked_at >= now - timedelta(days=LOAD_DAYS),
               QuestionRoute.question_id != question.id,
               Question.accepted_answer_id.is_(None), Question.closed_at.is_(None),
               Question.deleted_at.is_(None), ~answered)
        .group_by(QuestionRoute.user_id)).all())
    final = []
    for item in pool:
        item.load = loads.get(item.user_id, 0)
        total = base(item) + (W_LANGUAGE if item.languages else 0.0) - W_LOAD * item.load
        final.append((round(total, 4), item))
    final.sort(key=lambda pair: (-pair[0], pair[1].user_id))
    final = final[:limit]
    users = {user.id: user for user in db.session.scalars(
        select(User).where(User.id.in_([item.user_id for _score, item in final])))}
    return [Candidate(users[item.user_id], total, _why(item, tags, group_region))
            for total, item in final if item.user_id in users]


def _why(item: Score, tags: dict[int, str], group_region: str) -> list:
    """The reasons, strongest first: [reason, detail] pairs stored in QuestionRoute.why."""
    why = []
    accepted = sorted(item.accepted or {}, key=lambda t: (-(item.accepted or {})[t], tags[t]))
    upvoted = sorted((t for t in item.upvoted or {} if t not in (item.accepted or {})),
                     key=lambda t: (-(item.upvoted or {})[t], tags[t]))
    if accepted:
        why.append(["accepted", [tags[t] for t in accepted][:WHY_TAGS]])
    if upvoted:
        why.append(["answers", [tags[t] for t in upvoted][:WHY_TAGS]])
    if item.declared:
        why.append(["expertise", sorted(tags[t] for t in item.declared)[:WHY_TAGS]])
    if group_region and item.region.strip().casefold() == group_region:
        why.append(["region", item.region.strip()])
    if item.languages:
        why.append(["languages", item.languages[:2]])
    if item.verified:
        why.append(["verified", True])
    return why


def why_text(why, locale: str = "en") -> str:
    """`why` as a sentence in English or French: "answers on implants, works in West
    Africa, speaks French"."""
    locale = "fr" if str(locale).startswith("fr") else "en"
    parts = []
    with force_locale(locale):
        for reason, detail in why or ():
            if reason == "accepted":
                parts.append(_("accepted answers on %(tags)s", tags=", ".join(detail)))
            elif reason == "answers":
                parts.append(_("answers on %(tags)s", tags=", ".join(detail)))
            elif reason == "expertise":
                parts.append(_("expertise in %(tags)s", tags=", ".join(detail)))
            elif reason == "region":
                parts.append(_("works in %(region)s", region=detail))
            elif reason == "languages":
                names = [language_name(code, locale) for code in detail]
                parts.append(_("speaks %(languages)s", languages=_(" and ").join(names)))
            elif reason == "verified":
                parts.append(_("verified expert"))
    return ", ".join(parts)


# -- writes -----------------------------------------------------------------------------


def suggest(question: Question) -> list[Candidate]:
    """Inside the write that posts `question`: store the ranking's top SUGGESTED as
    "suggested" routes (one INSERT). Returns the candidates."""
    found = rank(question, SUGGESTED)
    if found:
        now = utcnow()
        db.session.execute(insert(QuestionRoute), [
            {"question_id": question.id, "user_id": item.user.id, "state": "suggested",
             "rank": n, "score": item.score, "why": item.why, "suggested_at": now}
            for n, item in enumerate(found, start=1)])
    return found


def _membership(user, group: Group) -> GroupMembership | None:
    if not permissions.is_user(user):
        return None
    return db.session.scalar(select(GroupMembership).where(
        GroupMembership.group_id == group.id, GroupMembership.user_id == user.id))


def get_question(user, question_id) -> Question:
    """A question `user` may read; NotFound otherwise."""
    ident = as_id(question_id)
    question = db.session.get(Question, ident) if ident else None
    if question is None or not permissions.can_view_question(user, question):
        raise NotFound(_("No such question."))
    return question


def _clean_usernames(value, errors: dict) -> list[str]:
    if isinstance(value, str):
        value = value.replace(",", " ").split()
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        errors["usernames"] = _("Must be a list of usernames.")
        return []
    names = []
    for item in value:
        name = item.strip().lstrip("@").lower()
        if name and name not in names:
            names.append(name)
    if not names:
        errors["usernames"] = _("Choose at least one person.")
    elif len(names) > MAX_ASK:
        errors["usernames"] = _("At most %(n)d items.", n=MAX_ASK)
    elif any(len(name) > 30 or "\x00" in name for name in names):
        errors["usernames"] = _("No such person.")
    return names


def _refusals(users: list[User], names: list[str], *, group: Group, asker_id) -> list[str]:
    """Why some of `names` cannot be asked (unknown, deleted, paused, the asker, cannot read
    the group): one sentence each; one query for the memberships of a private group."""
    found = {user.username_key: user for user in users}
    members = set()
    if group.private and users:
        members = set(db.session.scalars(select(GroupMembership.user_id).where(
            GroupMembership.group_id == group.id,
            GroupMembership.user_id.in_([user.id for user in users]))))
    problems = []
    for name in names:
        user = found.get(name)
        if user is None or user.is_deleted:
            problems.append(_("There is no member %(name)s.", name=name))
        elif user.id == asker_id:
            problems.append(_("You cannot ask yourself."))
        elif user.routing_paused:
            problems.append(_("%(name)s has paused questions routed to them.", name=user.name))
        elif group.private and user.id not in members:
            problems.append(_("%(name)s cannot read questions of this group.", name=user.name))
    return problems


def _users_named(names: list[str]) -> list[User]:
    if not names:
        return []
    return list(db.session.scalars(select(User).where(User.username_key.in_(names))))


def check_invite(author: User, group: Group | None, invite, errors: dict) -> list[User]:
    """Validate the people a new question invites (the ask form's "Ask an expert"): adds an
    `invite` error to `errors` when one cannot be asked; returns the users."""
    if invite in (None, "", []):
        return []
    local: dict = {}
    names = _clean_usernames(invite, local)
    if local:
        errors["invite"] = local["usernames"]
        return []
    users = _users_named(names)
    if group is None:
        return users
    problems = _refusals(users, names, group=group, asker_id=author.id)
    if problems:
        errors["invite"] = " ".join(problems)
        return []
    return users


def invitee(username) -> User | None:
    """The live account an ask form invites, or None."""
    if not isinstance(username, str) or not username.strip() or len(username) > 30:
        return None
    return db.session.scalar(select(User).where(
        User.username_key == username.strip().lstrip("@").lower(), User.deleted_at.is_(None)))


def _mark_asked(actor: User, question: Question, users: list[User], *,
                notify: bool = True) -> list[User]:
    """Make `users` asked on `question` (existing rows change state, others are added by
    hand, rank NULL) and notify those newly asked (unless `notify` is False: a held
    question's invitations are sent when it is approved); returns them."""
    if not users:
        return []
    ids = [user.id for user in users]
    existing = dict(db.session.execute(
        select(QuestionRoute.user_id, QuestionRoute.state)
        .where(QuestionRoute.question_id == question.id, QuestionRoute.user_id.in_(ids))).all())
    fresh = [user for user in users if existing.get(user.id) != "asked"]
    if not fresh:
        return []
    now = utcnow()
    upgrade = [user.id for user in fresh if user.id in existing]
    if upgrade:
        db.session.execute(
            update(QuestionRoute)
            .where(QuestionRoute.question_id == question.id, QuestionRoute.user_id.in_(upgrade))
            .values(state="asked", asked_at=now, asked_by_id=actor.id))
    added = [user for user in fresh if user.id not in existing]
    if added:
        try:
            with savepoint():
                db.session.execute(insert(QuestionRoute), [
                    {"question_id": question.id, "user_id": user.id, "state": "asked",
                     "rank": None, "score": 0.0, "why": [], "suggested_at": now,
                     "asked_at": now, "asked_by_id": actor.id} for user in added])
        except IntegrityError:  # asked by someone else at the same moment (PostgreSQL)
            raise Conflict(_("Someone else routed this question at the same moment; try "
                             "again.")) from None
    if notify:
        notifications.notify_routed(actor, question, [user.id for user in fresh])
    return fresh


def ask_invited(author: User, question: Question, users: list[User], *,
                notify: bool = True) -> list[User]:
    """Inside ask_question(): route the new question at once to the people it invites
    (told now, or with `notify` False when a moderator approves the held question)."""
    return _mark_asked(author, question, users, notify=notify)


@transactional
def ask(actor: User, question_id, usernames) -> list[User]:
    """Ask people to answer a question: the asker asks some of its suggested people; a site
    moderator or a moderator of its group may also route it by hand to anyone who can read
    it. Each newly asked person is notified ("routed"); asking again changes nothing.
    Returns everyone asked so far. Raises NotFound, PermissionDenied, Conflict (closed), or
    InvalidInput naming `usernames` (unknown, deleted, paused, the asker, cannot read it, or
    not suggested when the actor is the asker only); nothing is written then."""
    require_active(actor)
    question = get_question(actor, question_id)
    membership = _membership(actor, question.group)
    if not permissions.can_ask_experts(actor, question, membership):
        raise PermissionDenied(_("Only the asker and moderators can ask people to answer."))
    if question.closed_at is not None:
        raise Conflict(_("This question is closed."))
    if question.held_at is not None:
        raise Conflict(_("This question is waiting for a moderator's approval; people can "
                         "be asked once it is published."))
    errors: dict = {}
    names = _clean_usernames(usernames, errors)
    if errors:
        raise InvalidInput(fields=errors)
    users = _users_named(names)
    problems = _refusals(users, names, group=question.group, asker_id=question.author_id)
    if not problems and not permissions.can_route_by_hand(actor, question, membership):
        suggested = set(db.session.scalars(select(QuestionRoute.user_id).where(
            QuestionRoute.question_id == question.id)))
        problems = [_("%(name)s is not among the people suggested.", name=user.name)
                    for user in users if user.id not in suggested]
    if problems:
        raise InvalidInput(fields={"usernames": " ".join(problems)})
    _mark_asked(actor, question, users)
    return asked_on(question)


# -- reading ----------------------------------------------------------------------------


def asked_on(question: Question) -> list[User]:
    """Everyone asked to answer `question`, in the order they were asked."""
    return list(db.session.scalars(
        select(User).join(QuestionRoute, QuestionRoute.user_id == User.id)
        .where(QuestionRoute.question_id == question.id, QuestionRoute.state == "asked",
               User.deleted_at.is_(None))
        .options(selectinload(User.language_rows), selectinload(User.expertise_tags))
        .order_by(QuestionRoute.asked_at, QuestionRoute.id)))


def routes_of(question: Question, *, profiles: bool = False) -> list[QuestionRoute]:
    """The question's routes (suggested and asked) with their people, best first and those
    routed by hand last; deleted accounts left out, and people who paused routing unless
    already asked. One query (three with `profiles`: languages and expertise loaded)."""
    stmt = (select(QuestionRoute).join(User, User.id == QuestionRoute.user_id)
            .where(QuestionRoute.question_id == question.id, User.deleted_at.is_(None),
                   or_(User.routing_paused.is_(False), QuestionRoute.state == "asked"))
            .options(joinedload(QuestionRoute.user))
            .order_by(QuestionRoute.rank.is_(None), QuestionRoute.rank, QuestionRoute.id))
    if profiles:
        stmt = stmt.options(joinedload(QuestionRoute.user).selectinload(User.language_rows),
                            joinedload(QuestionRoute.user).selectinload(User.expertise_tags))
    return list(db.session.scalars(stmt).unique())


_UNKNOWN = object()


def suggestions_for(viewer, question: Question, *, membership=_UNKNOWN) -> dict | None:
    """What the question page's "People who could help" box shows `viewer`: None unless
    they are the asker or moderate the question's group; else {"routes": [...],
    "by_hand": whether they may route to anyone}. `membership`: the viewer's membership of
    the question's group when the caller has it (None for none), else it is looked up."""
    if not permissions.is_user(viewer) or question.is_deleted:
        return None
    if membership is _UNKNOWN:
        membership = _membership(viewer, question.group)
    if not permissions.can_ask_experts(viewer, question, membership):
        return None
    return {"routes": routes_of(question),
            "by_hand": permissions.can_route_by_hand(viewer, question, membership)}


def suggested_experts(viewer, question_id) -> tuple[Question, list[QuestionRoute]]:
    """The question and its suggested and asked people, for anyone who can read it
    (NotFound otherwise)."""
    question = get_question(viewer, question_id)
    return question, routes_of(question, profiles=True)[:SUGGESTED]


@dataclass
class Routed:
    """A question routed to someone: the question and its route (who asked, why)."""

    question: Question
    route: QuestionRoute


def routed_to(user, limit: int = 20) -> list[Routed]:
    """The open questions asked of `user` (not answered by them, not closed, deleted or
    accepted, still readable by them), newest first: a fixed number of queries."""
    if not permissions.is_user(user):
        return []
    answered = exists().where(Post.question_id == Question.id, Post.author_id == user.id,
                              Post.parent_id.is_(None), Post.deleted_at.is_(None))
    # As the question lists load them (services.threads.question_list_query): author,
    # group and tags, bodies left unloaded.
    stmt = (select(Question, QuestionRoute)
            .join(QuestionRoute, and_(QuestionRoute.question_id == Question.id,
                                      QuestionRoute.user_id == user.id))
            .where(permissions.visible_question_clause(user), QuestionRoute.state == "asked",
                   Question.accepted_answer_id.is_(None), Question.closed_at.is_(None),
                   ~answered)
            .options(joinedload(Question.author).load_only(*author_columns()),
                     joinedload(Question.group), selectinload(Question.tags),
                     *(defer(column, raiseload=True) for column in (
                         Question.body_source, Question.body_html, Question.body_text)),
                     joinedload(QuestionRoute.asked_by).load_only(*author_columns()))
            .order_by(QuestionRoute.asked_at.desc(), Question.id.desc())
            .limit(limit))
    return [Routed(question, route) for question, route in
            db.session.execute(stmt).unique().all()]

