"""Profiles: what a person tells others about themself (name, bio, title, where they work,
languages, areas of expertise), their directory and routing switches, and the
verified-expert badge that moderators grant.

Areas of expertise come from the forum's tag vocabulary and languages from
SPOKEN_LANGUAGES (forum/models/experts.py), so the directory and routing can match them.
"""

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import case, delete, func, insert, or_, select

from forum import permissions, ratelimit
from forum.errors import InvalidInput, PermissionDenied
from forum.extensions import db
from forum.markup import render_markdown
from forum.models import (
    MAX_EXPERTISE,
    MAX_LANGUAGES,
    SPOKEN_LANGUAGES,
    Group,
    GroupMembership,
    Post,
    Question,
    QuestionTag,
    Tag,
    User,
    UserExpertise,
    UserLanguage,
    utcnow,
)
from forum.services import audit, follows, inputs
from forum.services.accounts import (
    SUPPORTED_LOCALES,
    clean_text,
    get_user_by_username,
    validate_display_name,
)
from forum.services.inputs import text
from forum.services.qa import tag_counts_query
from forum.services.uow import transactional

PROFILE_TEXT_FIELDS = {"region": 80, "country": 80, "organization": 120, "title": 120}
PROFILE_FLAGS = ("directory_hidden", "routing_paused")
BIO_MAX = 5000


def clean_languages(value, errors: dict) -> list[str]:
    """Distinct codes of SPOKEN_LANGUAGES, at most MAX_LANGUAGES, in the order given."""
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        errors["languages"] = _("Must be a list of language codes.")
        return []
    codes: list[str] = []
    for item in value:
        code = item.strip().lower()
        if not code:
            continue
        if code not in SPOKEN_LANGUAGES:
            errors["languages"] = _("Unknown language code: %(code)s.", code=item.strip()[:20])
            return []
        if code not in codes:
            codes.append(code)
    if len(codes) > MAX_LANGUAGES:
        errors["languages"] = _("At most %(n)d items.", n=MAX_LANGUAGES)
    return codes


def tag_known_to(viewer):
    """SQL condition on Tag: `viewer` may know the tag exists. A tag that only private
    questions carry does not exist for outsiders (docs/security.md); a tag no question
    carries yet (an area of expertise created for the directory) reveals nothing."""
    carried = select(QuestionTag.question_id).where(QuestionTag.tag_id == Tag.id)
    seen = (select(QuestionTag.question_id)
            .join(Question, Question.id == QuestionTag.question_id)
            .where(QuestionTag.tag_id == Tag.id, permissions.visible_question_clause(viewer)))
    return or_(~carried.exists(), seen.exists())


def clean_expertise(value, errors: dict, *, viewer=None) -> list[Tag]:
    """Distinct existing tags, at most MAX_EXPERTISE; a string is split on commas.

    With `viewer`, only the tags some question `viewer` may read carries: a tag that only
    private questions carry does not exist for outsiders (docs/security.md), so choosing it
    is refused as for a tag that does not exist at all."""
    if isinstance(value, str):
        value = value.replace(",", " ").split()
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        errors["expertise"] = _("Must be a list of tag names.")
        return []
    names: list[str] = []
    for item in value:
        name = item.strip().lower()
        if name and name not in names:
            names.append(name)
    if len(names) > MAX_EXPERTISE:
        errors["expertise"] = _("At most %(n)d items.", n=MAX_EXPERTISE)
        return []
    if any(len(name) > 60 for name in names):
        errors["expertise"] = _("Each item has at most %(n)d characters.", n=60)
        return []
    stmt = select(Tag).where(Tag.name.in_(names))
    if viewer is not None:
        stmt = stmt.where(tag_known_to(viewer))
    tags = {tag.name: tag for tag in db.session.scalars(stmt)}
    missing = [name for name in names if name not in tags]
    if missing:
        errors["expertise"] = _("Areas of expertise are tags of this forum; there is no tag "
                                "%(names)s.", names=", ".join(missing[:5]))
        return []
    return [tags[name] for name in names]


@transactional
def update_profile(actor: User, user: User, *, display_name=None, locale=None, bio=None,
                   languages=None, expertise=None, directory_hidden=None, routing_paused=None,
                   system: bool = False, **details) -> User:
    """Change the profile fields given (None leaves a field as it is).

    Fields: display name, interface language, Markdown bio, region, country, organization,
    job title, languages spoken (codes), areas of expertise (tag names), and the switches
    `directory_hidden` and `routing_paused`. Self or admin only; raises PermissionDenied,
    InvalidInput naming each bad field (nothing is changed then), or RateLimited: a change
    counts against the acting user's LIMIT_EDIT_PER_USER (not for system work, nor a change
    of language alone).
    """
    if actor.id != user.id and not actor.is_admin:
        raise PermissionDenied(_("You can only change your own profile."))
    if not system and any(value is not None for value in (
            display_name, bio, languages, expertise, directory_hidden, routing_paused,
            *details.values())):
        inputs.require_active(actor)  # suspended: the interface language only
    errors: dict = {}
    unknown = set(details) - set(PROFILE_TEXT_FIELDS)
    if unknown:
        raise InvalidInput(fields={name: _("Unknown field.") for name in unknown})
    if display_name is not None:
        display_name = validate_display_name(text(display_name, "display_name", errors), errors)
    if locale is not None and locale not in SUPPORTED_LOCALES:
        errors["locale"] = _("Choose English or French.")
    cleaned = {}
    for name, value in details.items():
        if value is None:
            continue
        value = clean_text(text(value, name, errors))
        if len(value) > PROFILE_TEXT_FIELDS[name]:
            errors.setdefault(name, _("Use at most %(n)d characters.", n=PROFILE_TEXT_FIELDS[name]))
        cleaned[name] = value
    flags = {}
    for name, value in (("directory_hidden", directory_hidden),
                        ("routing_paused", routing_paused)):
        if value is None:
            continue
        if not isinstance(value, bool):
            errors[name] = _("Must be true or false.")
        flags[name] = value
    codes = clean_languages(languages, errors) if languages is not None else None
    tags = (clean_expertise(expertise, errors, viewer=None if system else actor)
            if expertise is not None else None)
    if bio is not None:
        bio = text(bio, "bio", errors)
        if len(bio) > BIO_MAX:
            errors.setdefault("bio", _("Use at most %(n)d characters.", n=BIO_MAX))
    if errors:
        raise InvalidInput(fields=errors)
    if not system and (display_name is not None or bio is not None or cleaned or flags
                       or codes is not None or tags is not None):
        ratelimit.hit("LIMIT_EDIT_PER_USER", "edit", str(actor.id))
    rendered = render_markdown(bio) if bio is not None else None
    if display_name is not None:
        user.display_name = display_name or user.username or ""
    if locale is not None:
        user.locale = locale
    if rendered is not None:
        user.bio_source = bio
        user.bio_html = rendered.html
        user.bio_markup_version = rendered.version
    for name, value in {**cleaned, **flags}.items():
        setattr(user, name, value)
    if codes is not None:
        db.session.execute(delete(UserLanguage).where(UserLanguage.user_id == user.id))
        if codes:
            db.session.execute(insert(UserLanguage), [
                {"user_id": user.id, "code": code, "position": n}
                for n, code in enumerate(codes)])
    if tags is not None:
        db.session.execute(delete(UserExpertise).where(UserExpertise.user_id == user.id))
        if tags:
            db.session.execute(insert(UserExpertise), [
                {"user_id": user.id, "tag_id": tag.id} for tag in tags])
    if codes is not None or tags is not None:
        db.session.expire(user, ["language_rows", "expertise_tags"])
    return user


def expertise_of(user_ids) -> dict[int, list[str]]:
    """{user id: names of their areas of expertise, alphabetical}, in one query."""
    found: dict[int, list[str]] = {}
    ids = list(user_ids)
    if not ids:
        return found
    for user_id, name in db.session.execute(
            select(UserExpertise.user_id, Tag.name).join(Tag, Tag.id == UserExpertise.tag_id)
            .where(UserExpertise.user_id.in_(ids)).order_by(UserExpertise.user_id, Tag.name)):
        found.setdefault(user_id, []).append(name)
    return found


def languages_of(user_ids) -> dict[int, list[str]]:
    """{user id: language codes in the order they gave}, in one query."""
    found: dict[int, list[str]] = {}
    ids = list(user_ids)
    if not ids:
        return found
    for user_id, code in db.session.execute(
            select(UserLanguage.user_id, UserLanguage.code)
            .where(UserLanguage.user_id.in_(ids))
            .order_by(UserLanguage.user_id, UserLanguage.position)):
        found.setdefault(user_id, []).append(code)
    return found


# -- the profile page ----------------------------------------------------------------------

RECENT = 10  # answers and questions a profile lists
VERIFIED_NOTE_MAX = 500


@dataclass
class ProfilePage:
    """What /u/<username> shows to one viewer (answers, questions, groups and numbers only
    from the groups that viewer may read: public ones, their own private ones)."""

    user: User
    expertise: list[str]
    languages: list[str]
    answers: int
    accepted: int
    reputation: int  # public: points earned in private groups never count
    recent_answers: list  # rows: post_id, created_at, score, question_id, title, lang,
    #                       accepted_answer_id
    recent_questions: list  # rows: id, title, lang, created_at, score, answer_count,
    #                         accepted_answer_id
    groups: list[Group]
    follow_level: str | None
    is_owner: bool
    can_edit: bool
    can_verify: bool
    verified_by: User | None  # shown to those who may verify


def profile_page(viewer, username) -> ProfilePage:
    """The profile of the live account `username` as `viewer` (None: anonymous) may see it,
    in a fixed number of queries; raises NotFound for unknown or deleted accounts."""
    user = get_user_by_username(username)
    visible = permissions.visible_question_clause(viewer)
    own_answers = (Post.author_id == user.id, Post.parent_id.is_(None),
                   Post.deleted_at.is_(None), visible)
    answers, accepted = db.session.execute(
        select(func.count(Post.id),
               func.count(case((Question.accepted_answer_id == Post.id, 1))))
        .select_from(Post).join(Question, Question.id == Post.question_id)
        .where(*own_answers)).one()
    recent_answers = db.session.execute(
        select(Post.id.label("post_id"), Post.created_at, Post.score,
               Question.id.label("question_id"), Question.title, Question.lang,
               Question.accepted_answer_id)
        .join(Question, Question.id == Post.question_id)
        .where(*own_answers)
        .order_by(Post.created_at.desc(), Post.id.desc()).limit(RECENT)).all()
    recent_questions = db.session.execute(
        select(Question.id, Question.title, Question.lang, Question.created_at,
               Question.score, Question.answer_count, Question.accepted_answer_id)
        .where(Question.author_id == user.id, visible)
        .order_by(Question.created_at.desc(), Question.id.desc()).limit(RECENT)).all()
    groups = list(db.session.scalars(
        select(Group).join(GroupMembership, GroupMembership.group_id == Group.id)
        .where(GroupMembership.user_id == user.id,
               permissions.visible_group_clause(viewer))
        .order_by(Group.name)))
    can_verify = permissions.can_verify_experts(viewer)
    verified_by = None
    if can_verify and user.verified_by_id is not None:
        verified_by = db.session.get(User, user.verified_by_id)
    is_owner = permissions.is_user(viewer) and viewer.id == user.id
    return ProfilePage(
        user=user, expertise=expertise_of([user.id]).get(user.id, []) if is_owner
        else visible_expertise(viewer, user.id),
        languages=languages_of([user.id]).get(user.id, []),
        answers=int(answers or 0), accepted=int(accepted or 0), reputation=user.reputation,
        recent_answers=recent_answers, recent_questions=recent_questions, groups=groups,
        follow_level=follows.level_of(viewer, "user", user.id) if not is_owner else None,
        is_owner=is_owner,
        can_edit=is_owner or permissions.is_admin(viewer),
        can_verify=can_verify, verified_by=verified_by)


def visible_expertise_of(viewer, user_ids) -> dict[int, list[str]]:
    """{user id: names of their areas of expertise that `viewer` may know of, alphabetical},
    in one query. A tag that only private questions carry does not exist for outsiders
    (docs/security.md): no profile, directory row or API answer names it to them."""
    found: dict[int, list[str]] = {}
    ids = list(user_ids)
    if not ids:
        return found
    for user_id, name in db.session.execute(
            select(UserExpertise.user_id, Tag.name).join(Tag, Tag.id == UserExpertise.tag_id)
            .where(UserExpertise.user_id.in_(ids), tag_known_to(viewer))
            .order_by(UserExpertise.user_id, Tag.name)):
        found.setdefault(user_id, []).append(name)
    return found


def visible_expertise(viewer, user_id) -> list[str]:
    """The areas of expertise of one person that `viewer` may know of (one query)."""
    return visible_expertise_of(viewer, [user_id]).get(user_id, [])


def expertise_choices(viewer, limit: int = 300) -> list[str]:
    """The tag names to suggest in the profile form (most used first, only tags `viewer`
    may see); one query."""
    return [tag.name for tag, _used in db.session.execute(
        tag_counts_query(viewer).limit(limit))]


def editable_profile(actor, username) -> User:
    """The account whose profile `actor` wants to edit: their own, or anyone's for an admin;
    raises NotFound or PermissionDenied."""
    user = get_user_by_username(username)
    if not permissions.is_user(actor) or (actor.id != user.id and not actor.is_admin):
        raise PermissionDenied(_("You can only change your own profile."))
    return user


@transactional
def set_verified(actor, username, verified, note) -> User:
    """Grant (`verified` true) or remove the verified-expert badge, with a note saying why
    (1 to 500 characters); site moderators and admins only. Raises PermissionDenied,
    NotFound, InvalidInput."""
    if not permissions.can_verify_experts(actor):
        raise PermissionDenied(_("Only moderators can grant or remove the verified-expert "
                                 "badge."))
    user = get_user_by_username(username)
    errors: dict = {}
    if not isinstance(verified, bool):
        errors["verified"] = _("Must be true or false.")
    note = clean_text(text(note, "note", errors)) if note is not None else ""
    if "note" not in errors:
        if not note:
            errors["note"] = _("Say why, in a short note.")
        elif len(note) > VERIFIED_NOTE_MAX:
            errors["note"] = _("Use at most %(n)d characters.", n=VERIFIED_NOTE_MAX)
    if errors:
        raise InvalidInput(fields=errors)
    audit.record(actor, "verify_expert" if verified else "unverify_expert", "user", user.id,
                 reason=note, before={"verified_expert": bool(user.verified_expert)},
                 after={"verified_expert": verified})
    user.verified_expert = verified
    user.verified_note = note
    user.verified_by_id = actor.id
    user.verified_at = utcnow()
    return user
