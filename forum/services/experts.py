"""The expert directory: who is listed, how the filters match, and the order "relevance to
the filters" means; and the experts shown on a group's page.

Listed: live accounts that did not hide themselves (`directory_hidden`) and are verified
experts or have declared at least one area of expertise. Evidence (answers, accepted and
upvoted answers) counts only answers in PUBLIC groups: a count that moved with an answer in
a private group would tell strangers that the group is active on a topic.

Text matching folds case and the accents of Latin letters on both sides, in SQL with the
same table on SQLite and PostgreSQL (SQLite's lower() only knows ASCII), so "senegal" finds
"Sénégal". Letters outside the table (other scripts) match exactly, case included on SQLite.
"""

import sqlite3
import unicodedata
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import String, and_, event, exists, func, or_, select
from sqlalchemy.engine import Engine
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import selectinload
from sqlalchemy.sql.functions import FunctionElement

from forum import permissions
from forum.errors import InvalidInput, NotFound
from forum.extensions import db
from forum.models import (
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
)
from forum.services.inputs import clean_tag_name, id_field, text
from forum.services.paging import MAX_PAGE, Page, fetch_page
from forum.services.profiles import visible_expertise_of

MAX_PER_PAGE = 100
PLACE_MAX = 80  # as users.region and users.country
QUERY_MAX = 200
QUERY_MAX_WORDS = 10
GROUP_EXPERTS = 8

# Accented Latin letters and what they fold to (lower case, no accent). Both sides of every
# comparison go through the same table: fold() in Python, _fold_sql() in SQL.
_ACCENTED = "àáâãäåāăąçćčďèéêëēėęěìíîïīįñńňòóôõöøōőřśšşťùúûüūůűýÿźżžł"
_SPECIAL = {"ø": "o", "ł": "l"}  # no Unicode decomposition


def _plain(letter: str) -> str:
    if letter in _SPECIAL:
        return _SPECIAL[letter]
    return "".join(ch for ch in unicodedata.normalize("NFKD", letter)
                   if not unicodedata.combining(ch))


_FOLD_PAIRS = [(a, _plain(a)) for a in _ACCENTED]
_FOLD_PAIRS += [(a.upper(), p) for a, p in _FOLD_PAIRS if a.upper() != a]
_FOLD_PAIRS += [("œ", "oe"), ("Œ", "oe"), ("æ", "ae"), ("Æ", "ae")]
_FOLD_TABLE = {ord(a): p for a, p in _FOLD_PAIRS}
_TRUE = ("1", "true", "on", "yes")
_FALSE = ("0", "false", "off", "no")


def fold(value: str) -> str:
    """`value` lower-cased without the accents of the folding table (as _fold_sql does)."""
    return value.translate(_FOLD_TABLE).lower()


_TRANSLATED = [(a, p) for a, p in _FOLD_PAIRS if len(p) == 1]
_EXPANDED = [(a, p) for a, p in _FOLD_PAIRS if len(p) > 1]


@event.listens_for(Engine, "connect")
def _sqlite_fold_function(dbapi_connection, connection_record):
    """SQLite: fold() as the SQL function tacit_fold (its lower() only knows ASCII, and a
    hundred nested replace() overflow its parser)."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.create_function(
            "tacit_fold", 1, lambda value: None if value is None else fold(value),
            deterministic=True)


class _folded(FunctionElement):
    """fold() in SQL: tacit_fold(x) on SQLite, translate() and lower() on PostgreSQL."""

    inherit_cache = True
    type = String()
    name = "folded"


@compiles(_folded, "sqlite")
def _compile_folded_sqlite(element, compiler, **kw):
    return f"tacit_fold({compiler.process(element.clauses, **kw)})"


@compiles(_folded)
def _compile_folded(element, compiler, **kw):
    # Constants of this module (no quote in them): accents first, upper case included (a
    # database in the C locale lower-cases ASCII only), then the letters that become two.
    accented = "".join(a for a, _p in _TRANSLATED)
    plain = "".join(p for _a, p in _TRANSLATED)
    sql = f"lower(translate({compiler.process(element.clauses, **kw)}, '{accented}', '{plain}'))"
    for letter, letters in _EXPANDED:
        sql = f"replace({sql}, '{letter}', '{letters}')"
    return sql


def _fold_sql(expr):
    return _folded(expr)


@dataclass
class ExpertRow:
    """One person of the directory, with what the card shows."""

    user: User
    expertise: list[str]
    languages: list[str]
    accepted: int  # accepted answers in the filtered tag (all tags without one)
    answers: int  # answers there
    upvoted: int  # answers there with a positive score


def listed():
    """The condition for being in the directory (on User)."""
    return and_(User.deleted_at.is_(None), User.directory_hidden.is_(False),
                or_(User.verified_expert.is_(True),
                    exists().where(UserExpertise.user_id == User.id)
                    .correlate_except(UserExpertise)))


def _answers_where(tag: str | None = None, group_id: int | None = None):
    """Answers that count as evidence: live answers of live questions in public groups
    (or in the one group `group_id`), in the tag `tag` when one is given."""
    conditions = [Post.parent_id.is_(None), Post.deleted_at.is_(None),
                  Question.deleted_at.is_(None)]
    if group_id is not None:
        conditions.append(Question.group_id == group_id)
    else:
        conditions.append(Question.group_id.in_(
            select(Group.id).where(Group.private.is_(False))))
    if tag is not None:
        conditions.append(exists().where(QuestionTag.question_id == Question.id,
                                         QuestionTag.tag_id == Tag.id, Tag.name == tag)
                          .correlate_except(QuestionTag, Tag))
    return conditions


def _evidence(kind: str, tag: str | None = None, group_id: int | None = None):
    """A correlated count of the user's answers (`answers`), accepted answers (`accepted`)
    or upvoted answers (`upvoted`); one indexed look-up per listed person."""
    conditions = [Post.author_id == User.id, *_answers_where(tag, group_id)]
    if kind == "accepted":
        conditions.append(Question.accepted_answer_id == Post.id)
    elif kind == "upvoted":
        conditions.append(Post.score > 0)
    return (select(func.count(Post.id)).select_from(Post)
            .join(Question, Question.id == Post.question_id)
            .where(*conditions).correlate(User).scalar_subquery())


def _place(value, field: str, errors: dict) -> str | None:
    value = text(value, field, errors).strip()
    if field in errors or not value:
        return None
    if len(value) > PLACE_MAX:
        errors[field] = _("Use at most %(n)d characters.", n=PLACE_MAX)
        return None
    return fold(value)


def _flag(value, field: str, errors: dict) -> bool | None:
    """A yes/no filter: a bool, or "true"/"false"/"1"/"0"/"on"/"off"; empty is no filter."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        lowered = value.strip().lower()
        if not lowered:
            return None
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
    errors[field] = _("Must be true or false.")
    return None


def _number(value, field: str, errors: dict, maximum: int) -> int:
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 10:
        value = int(value)
    found = id_field(value, field, errors, maximum=maximum)
    return found or 1


def _clean_filters(expertise, region, country, language, verified, q) -> dict:
    """The filters, validated and folded; InvalidInput names every bad one."""
    errors: dict = {}
    tag = None
    raw_tag = text(expertise, "expertise", errors).strip().lower()
    if raw_tag:
        tag = clean_tag_name(raw_tag)
        if tag is None:
            errors["expertise"] = _("Not a tag name.")
    code = text(language, "language", errors).strip().lower() or None
    if code is not None and code not in SPOKEN_LANGUAGES:
        errors["language"] = _("Unknown language code: %(code)s.", code=code[:20])
    words: list[str] = []
    query = text(q, "q", errors).strip()
    if len(query) > QUERY_MAX:
        errors["q"] = _("Use at most %(n)d characters.", n=QUERY_MAX)
    else:
        words = list(dict.fromkeys(fold(word) for word in query.split()))
        if len(words) > QUERY_MAX_WORDS:
            errors["q"] = _("Use at most %(n)d words.", n=QUERY_MAX_WORDS)
    found = {"tag": tag, "region": _place(region, "region", errors),
             "country": _place(country, "country", errors), "language": code,
             "verified": _flag(verified, "verified", errors), "words": words}
    if errors:
        raise InvalidInput(fields=errors)
    return found


def _conditions(filters: dict) -> list:
    conditions = [listed()]
    if filters["tag"] is not None:
        conditions.append(exists().where(UserExpertise.user_id == User.id,
                                         UserExpertise.tag_id == Tag.id,
                                         Tag.name == filters["tag"])
                          .correlate_except(UserExpertise, Tag))
    if filters["region"] is not None:
        conditions.append(_fold_sql(User.region) == filters["region"])
    if filters["country"] is not None:
        conditions.append(_fold_sql(User.country) == filters["country"])
    if filters["language"] is not None:
        conditions.append(exists().where(UserLanguage.user_id == User.id,
                                         UserLanguage.code == filters["language"]))
    if filters["verified"] is not None:
        conditions.append(User.verified_expert.is_(filters["verified"]))
    if filters["words"]:
        # One folded text per person, each word a substring of it somewhere.
        haystack = _fold_sql(func.coalesce(User.display_name, "") + "\n"
                             + func.coalesce(User.username, "") + "\n" + User.organization
                             + "\n" + User.title + "\n" + User.bio_source)
        conditions.extend(haystack.contains(word, autoescape=True)
                          for word in filters["words"])
    return conditions


def _name_order():
    return func.lower(func.coalesce(func.nullif(User.display_name, ""), User.username))


def directory(viewer, *, expertise=None, region=None, country=None, language=None,
              verified=None, q=None, page=1, per_page=20) -> Page:
    """One page of the expert directory, best match first: ExpertRow items and the total.

    Filters: `expertise` (a tag name the person declared), `region` and `country` (equal,
    ignoring case and accents), `language` (a code of SPOKEN_LANGUAGES), `verified` (yes/no),
    `q` (every word somewhere in the name, username, organization, title or bio). Order:
    verified experts, then accepted answers in the filtered tag (all tags without one), then
    upvoted answers there, then public reputation, then name. Four queries whatever the
    page size (count, page, expertise, languages). Raises InvalidInput naming bad fields.
    `viewer` may be anyone: the directory is public.
    """
    filters = _clean_filters(expertise, region, country, language, verified, q)
    errors: dict = {}
    page = _number(page, "page", errors, MAX_PAGE)
    per_page = _number(per_page, "per_page", errors, MAX_PER_PAGE)
    if errors:
        raise InvalidInput(fields=errors)
    conditions = _conditions(filters)
    tag = filters["tag"]
    accepted = _evidence("accepted", tag).label("accepted")
    answers = _evidence("answers", tag).label("answers")
    upvoted = _evidence("upvoted", tag).label("upvoted")
    total = db.session.scalar(select(func.count(User.id)).where(*conditions))
    stmt = (select(User, accepted, answers, upvoted).where(*conditions)
            .options(selectinload(User.language_rows))
            .order_by(User.verified_expert.desc(), accepted.desc(), upvoted.desc(),
                      User.reputation.desc(), _name_order(), User.id))
    found = fetch_page(stmt, page=page, per_page=per_page, rows=True)
    found.total = total
    # Only the areas `viewer` may know of (a tag only private questions carry is not named).
    known = visible_expertise_of(viewer, [row[0].id for row in found.items])
    found.items = [ExpertRow(user=row[0], expertise=known.get(row[0].id, []),
                             languages=row[0].languages, accepted=row[1] or 0,
                             answers=row[2] or 0, upvoted=row[3] or 0)
                   for row in found.items]
    return found


def group_experts(viewer, group: Group, *, is_member: bool | None = None,
                  limit: int = GROUP_EXPERTS) -> list[ExpertRow]:
    """The group's members who are in the directory: verified first, then accepted answers
    in this group, then reputation, then name; at most `limit`, in two queries (people,
    their expertise). Raises NotFound when `viewer` may not see the group (a private one)."""
    if not permissions.can_view_group(viewer, group, is_member=is_member):
        raise NotFound(_("No such group."))
    limit = max(1, min(int(limit), MAX_PER_PAGE))
    accepted = _evidence("accepted", group_id=group.id).label("accepted")
    answers = _evidence("answers", group_id=group.id).label("answers")
    rows = db.session.execute(
        select(User, accepted, answers)
        .join(GroupMembership, and_(GroupMembership.user_id == User.id,
                                    GroupMembership.group_id == group.id))
        .where(listed())
        .order_by(User.verified_expert.desc(), accepted.desc(), User.reputation.desc(),
                  _name_order(), User.id)
        .limit(limit)).all()
    known = visible_expertise_of(viewer, [user.id for user, _acc, _ans in rows])
    return [ExpertRow(user=user, expertise=known.get(user.id, []), languages=[],
                      accepted=acc or 0,
                      answers=ans or 0, upvoted=0) for user, acc, ans in rows]


def declared_expertise(limit: int = 500) -> list[str]:
    """The tag names that listed people declared as expertise, alphabetical (for the
    directory form's suggestions); one query."""
    return list(db.session.scalars(
        select(Tag.name).join(UserExpertise, UserExpertise.tag_id == Tag.id)
        .join(User, User.id == UserExpertise.user_id).where(listed())
        .group_by(Tag.name).order_by(Tag.name).limit(limit)))
