"""Demo content: a small regional community, written through the services.

The content itself is plain data in forum/demo_content.py. Every write goes through the
same services real users go through (system=True: no rate limit, no duplicate check). Only
the timestamps are moved afterwards, here and nowhere else, so that lists look like weeks of
activity rather than one second of it.
"""

import random
from datetime import timedelta

import click
from sqlalchemy import func, select, update

from forum import mail
from forum.demo_content import (
    DEMO_FAQ,
    DEMO_MODERATION,
    DEMO_PASSWORD,
    DEMO_PROFILES,
    DEMO_ROUTED_ASKS,
    DEMO_ROUTED_WITHIN_DAYS,
    DEMO_USERS,
    GROUP_MODERATORS,
    GROUPS,
    JOIN_REQUESTS,
    MEMBERSHIPS,
    QUESTIONS,
    SPAM_TITLE,
)
from forum.extensions import db
from forum.models import (
    AuditEntry,
    FaqEntry,
    Group,
    GroupJoinRequest,
    GroupMembership,
    Post,
    PostVote,
    Question,
    QuestionRoute,
    QuestionVote,
    Revision,
    Tag,
    User,
    utcnow,
)
from forum.services import faq, flags, follows, insight, moderation, routing
from forum.services.accounts import register_user
from forum.services.groups import (
    add_member,
    create_group,
    join_group,
    request_to_join,
    set_group_moderator,
)
from forum.services.profiles import set_verified, update_profile
from forum.services.qa import accept_answer, ask_question, post_answer, post_reply
from forum.services.uow import transactional
from forum.services.votes import vote_post, vote_question

__all__ = ["DEMO_PASSWORD", "DEMO_USERS", "print_logins", "seed_demo"]

# How far back the community "started": accounts and groups are dated before the oldest
# question so that profiles do not say "member since today" under a month-old post.
COMMUNITY_AGE = timedelta(days=60)


def seed_demo(*, only_if_empty: bool = False) -> bool:
    """Create the demo users, groups and questions (idempotent); returns False when skipped.

    `only_if_empty` skips a database that has any account. Otherwise what exists already
    (users by username, groups by slug, questions by title) is left alone, so a second run
    adds nothing.
    """
    if only_if_empty and db.session.scalar(select(func.count(User.id))):
        return False
    now = utcnow()
    # The demo's notifications are written (members see them) but nobody is mailed about
    # made-up activity.
    with mail.suppressed():
        users = _seed_users(now)
        _seed_profiles(users)
        _seed_groups(users, now)
        for spec in QUESTIONS:
            _seed_question(spec, users, now)
        _seed_follows(users)
        _seed_routing(users)
        _seed_faq(users)
        _seed_moderation(users)
    return True


# Follows beyond the defaults (members follow their groups, askers and answerers their
# questions): tags, people, a public group followed without joining, digest levels.
DEMO_FOLLOWS = [
    ("amina", "tag", "implants", "all"),
    ("achieng", "tag", "dmpa-sc", "all"),
    ("rahul", "tag", "counselling", "digest"),
    ("siti", "tag", "implants", "digest"),
    ("kofi", "user", "amina", "all"),
    ("awa", "user", "mariam", "all"),
    ("nguyen", "group", "south-asia", "all"),
    ("joseph", "group", "east-africa", "digest"),
]


def _seed_routing(users: dict[str, User]) -> None:
    """On recent questions without an accepted answer, the asker asks the top suggested
    people (suggested when the question was asked, as on a live forum)."""
    for spec in QUESTIONS:
        if spec.get("spam") or spec["days_ago"] > DEMO_ROUTED_WITHIN_DAYS or any(
                answer.get("accepted") for answer in spec.get("answers", [])):
            continue
        question_id = db.session.scalar(select(Question.id).where(
            Question.title == spec["title"]))
        names = db.session.scalars(
            select(User.username).join(QuestionRoute, QuestionRoute.user_id == User.id)
            .where(QuestionRoute.question_id == question_id,
                   QuestionRoute.state == "suggested")
            .order_by(QuestionRoute.rank).limit(DEMO_ROUTED_ASKS)).all()
        if names:
            routing.ask(users[spec["author"]], question_id, list(names))


@transactional
def _seed_faq(users: dict[str, User]) -> None:
    """The curated FAQ (DEMO_FAQ), promoted by the site moderator; skipped when it exists."""
    if db.session.scalar(select(func.count(FaqEntry.id))):
        return
    curator = users["moderator"]
    entries: dict[str, int] = {}
    for spec in DEMO_FAQ:
        question_id = db.session.scalar(select(Question.id).where(
            Question.title == spec["question"]))
        entry = faq.promote(curator, question_id, summary=spec["summary"])
        entries[spec["question"]] = entry.id
    for spec in DEMO_FAQ:
        entry_id = entries[spec["question"]]
        if spec.get("translation_of"):
            faq.link_translation(curator, entry_id, entries[spec["translation_of"]])
        if spec.get("obsolete_by"):
            faq.mark_obsolete(curator, entry_id, spec["note"],
                              replaced_by=entries[spec["obsolete_by"]])
        if spec.get("due"):
            # Reviewed a year and a month ago: its review date has passed.
            reviewed = utcnow() - timedelta(days=400)
            db.session.execute(update(FaqEntry).where(FaqEntry.id == entry_id).values(
                reviewed_at=reviewed, promoted_at=reviewed,
                review_by=(reviewed + timedelta(days=365)).date()))


@transactional
def _seed_moderation(users: dict[str, User]) -> None:
    """Flags (some settled, some open), the advertisement hidden and its author suspended
    (audit entries follow from the actions), and searches that found nothing."""
    if db.session.scalar(select(func.count(AuditEntry.id)).where(
            AuditEntry.action == "suspend")):
        return
    curator = users[DEMO_MODERATION["curator"]]

    def question_id(title):
        return db.session.scalar(select(Question.id).where(Question.title == title))

    for username, kind, title, reason, text in DEMO_MODERATION["flags"]:
        qid = question_id(title)
        if kind == "question":
            flags.flag(users[username], "question", qid, reason, text)
        else:
            answer_id = db.session.scalar(
                select(Post.id).where(Post.question_id == qid, Post.parent_id.is_(None))
                .order_by(Post.id).limit(1))
            flags.flag(users[username], "post", answer_id, reason, text)
    spam_id = question_id(SPAM_TITLE)
    moderation.hide(curator, "question", spam_id, DEMO_MODERATION["hide_reason"])
    spam = db.session.scalar(select(Question.author_id).where(Question.id == spam_id))
    moderation.suspend(curator, db.session.get(User, spam).username,
                       days=DEMO_MODERATION["suspend_days"],
                       reason=DEMO_MODERATION["suspend_reason"])
    for query, found in DEMO_MODERATION["searches"]:
        insight.log_search(query, found, None, None)


def _seed_follows(users: dict[str, User]) -> None:
    for username, target_type, key, level in DEMO_FOLLOWS:
        user = users[username]
        target = follows.resolve_target(user, target_type, key)
        if follows.level_of(user, target_type, target.id) != level:  # the seeded level
            follows.follow(user, target_type, key, level=level)


def _seed_users(now) -> dict[str, User]:
    users = {}
    created = []
    for username, name, email, role, locale, region, country, org in DEMO_USERS:
        user = db.session.scalar(select(User).where(User.username_key == username))
        if user is None:
            user = register_user(username, email, DEMO_PASSWORD, name, role=role,
                                 locale=locale, system=True, email_confirmed=True)
            update_profile(user, user, locale=locale, region=region, country=country,
                           organization=org, system=True)
            created.append(user.id)
        users[username] = user
    if created:
        _set_times(User, {uid: now - COMMUNITY_AGE + timedelta(hours=7 * n)
                          for n, uid in enumerate(created)})
    return users


@transactional
def _seed_profiles(users: dict[str, User]) -> None:
    """Titles, languages, areas of expertise and badges (DEMO_PROFILES), before any
    question is asked, so that routing sees the experts as it would on a live forum. Areas
    of expertise are tags: the ones no question has used yet are created here, empty."""
    names = {name for profile in DEMO_PROFILES.values() for name in profile.get("expertise", ())}
    known = set(db.session.scalars(select(Tag.name).where(Tag.name.in_(names))))
    for name in sorted(names - known):
        db.session.add(Tag(name=name))
    db.session.flush()
    for username, profile in DEMO_PROFILES.items():
        user = users[username]
        if user.title:  # seeded already
            continue
        update_profile(user, user, title=profile["title"], languages=profile["languages"],
                       expertise=profile.get("expertise", []), system=True)
        if profile.get("verified"):
            set_verified(users["admin"], username, True, profile["verified"])


def _seed_groups(users: dict[str, User], now) -> None:
    created = []
    for spec in GROUPS:
        if db.session.scalar(select(Group.id).where(Group.slug == spec["slug"])):
            continue
        group = create_group(None, spec["slug"], spec["name"], spec["region"],
                             spec["description"], private=spec["private"],
                             name_fr=spec.get("name_fr", ""),
                             description_fr=spec.get("description_fr", ""), system=True)
        created.append(group.id)
    if created:
        _set_times(Group, {gid: now - COMMUNITY_AGE for gid in created})
    private = {spec["slug"] for spec in GROUPS if spec["private"]}
    joined = []
    for username, slugs in MEMBERSHIPS.items():
        user = users[username]
        for slug in slugs:
            group_id = db.session.scalar(select(Group.id).where(Group.slug == slug))
            if db.session.scalar(select(GroupMembership.id).where(
                    GroupMembership.group_id == group_id, GroupMembership.user_id == user.id)):
                continue
            if slug in private:
                add_member(None, slug, username, system=True)
            else:
                join_group(user, slug)
            joined.append(db.session.scalar(select(GroupMembership.id).where(
                GroupMembership.group_id == group_id, GroupMembership.user_id == user.id)))
    if joined:
        _set_times(GroupMembership, {mid: now - COMMUNITY_AGE + timedelta(days=1)
                                     for mid in joined})
    for slug, usernames in GROUP_MODERATORS.items():
        for username in usernames:  # idempotent: the role is set again
            set_group_moderator(users["admin"], slug, username)
    for username, slug, message in JOIN_REQUESTS:
        group_id = db.session.scalar(select(Group.id).where(Group.slug == slug))
        if not db.session.scalar(select(GroupJoinRequest.id).where(
                GroupJoinRequest.group_id == group_id,
                GroupJoinRequest.user_id == users[username].id)):
            request_to_join(users[username], slug, message)


def _voters(spec: dict, author: str, users: dict[str, User], rng: random.Random) -> list[User]:
    """Everyone who may vote on this item (never its author), in a stable shuffled order."""
    group = next(g for g in GROUPS if g["slug"] == spec["group"])
    if group["private"]:
        names = [name for name, slugs in MEMBERSHIPS.items() if group["slug"] in slugs]
        names.append("admin")
    else:
        names = [row[0] for row in DEMO_USERS]
    names = sorted(name for name in set(names) if name != author)
    rng.shuffle(names)
    return [users[name] for name in names]


def _vote(spec: dict, item: dict, users, rng, cast) -> None:
    voters = _voters(spec, item["author"], users, rng)
    up, down = item.get("votes", 0), item.get("down", 0)
    for voter, value in zip(voters, [1] * up + [-1] * down, strict=False):
        cast(voter, value)


def _seed_question(spec: dict, users: dict[str, User], now) -> None:
    if db.session.scalar(select(Question.id).where(Question.title == spec["title"])):
        return
    rng = random.Random(spec["title"])
    author = users[spec["author"]]
    question = ask_question(author, title=spec["title"], body=spec["body"],
                            group=spec["group"], tags=spec["tags"], lang=spec["lang"],
                            system=True)
    question_id = question.id
    # Posts in the order written, each with its spec (for votes and acceptance).
    written: list[tuple[int, dict]] = []

    def write_replies(parent_id: int, replies: list[dict]) -> None:
        for reply in replies:
            post = post_reply(users[reply["author"]], parent_id, reply["body"],
                              lang=reply.get("lang", spec["lang"]), system=True)
            written.append((post.id, reply))
            write_replies(post.id, reply.get("replies", []))

    answer_ids = []
    for answer in spec.get("answers", []):
        post = post_answer(users[answer["author"]], question_id, answer["body"],
                           lang=answer.get("lang", spec["lang"]), system=True)
        written.append((post.id, answer))
        answer_ids.append((post.id, answer))
        write_replies(post.id, answer.get("replies", []))

    _vote(spec, spec, users, rng,
          lambda voter, value: vote_question(voter, question_id, value))
    for post_id, answer in answer_ids:
        _vote(spec, answer, users, rng,
              lambda voter, value, post_id=post_id: vote_post(voter, post_id, value))
        if answer.get("accepted"):
            accept_answer(author, question_id, post_id)
    age = timedelta(days=spec["days_ago"])
    asked = now - age + age * rng.uniform(0, 0.05)  # not all on the same minute
    _spread_times(question_id, [post_id for post_id, _spec in written], now, rng,
                  asked=asked)


@transactional
def _spread_times(question_id: int, post_ids: list[int], now, rng: random.Random, *,
                  asked) -> None:
    """Date the question `asked` and its posts after it, in order, all before `now`."""
    steps = [timedelta(hours=rng.uniform(0.5, 12)) for _ in post_ids]
    room = (now - asked) * 0.9
    total = sum(steps, timedelta())
    if total > room:
        steps = [step * (room / total) for step in steps]
    post_times, moment = {}, asked
    for post_id, step in zip(post_ids, steps, strict=True):
        moment += step
        post_times[post_id] = moment
    last = moment
    _set_times(Post, post_times)
    db.session.execute(update(Question).where(Question.id == question_id).values(
        created_at=asked, updated_at=last, last_activity_at=last))
    # The first revision is the original text: it carries the original date.
    db.session.execute(update(Revision).where(Revision.question_id == question_id)
                       .values(created_at=asked))
    for post_id, moment in post_times.items():
        db.session.execute(update(Revision).where(Revision.post_id == post_id)
                           .values(created_at=moment))
    # Votes come some time after what they vote on.
    for vote_id, in db.session.execute(select(QuestionVote.id).where(
            QuestionVote.question_id == question_id)).all():
        db.session.execute(update(QuestionVote).where(QuestionVote.id == vote_id).values(
            created_at=asked + (now - asked) * rng.uniform(0.05, 0.95)))
    for vote_id, post_id in db.session.execute(select(PostVote.id, PostVote.post_id).where(
            PostVote.post_id.in_(post_ids))).all() if post_ids else []:
        start = post_times[post_id]
        db.session.execute(update(PostVote).where(PostVote.id == vote_id).values(
            created_at=start + (now - start) * rng.uniform(0.05, 0.95)))


@transactional
def _set_times(model, times: dict) -> None:
    for ident, moment in times.items():
        db.session.execute(update(model).where(model.id == ident).values(created_at=moment))


def print_logins() -> None:
    """Print the demo logins for the README's `make run`."""
    click.echo("")
    click.echo(f"Demo logins (password for every account: {DEMO_PASSWORD}):")
    for username, name, _email, role, locale, *_rest in DEMO_USERS:
        badge = "verified expert" if DEMO_PROFILES.get(username, {}).get("verified") else ""
        click.echo(f"  {username:<10} {role:<9} {locale}  {name:<22} {badge}".rstrip())
    click.echo("")
