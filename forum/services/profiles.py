"""Profiles: what a person tells others about themself (name, bio, title, where they work,
languages, areas of expertise), their directory and routing switches, and the
verified-expert badge that moderators grant.

Areas of expertise come from the forum's tag vocabulary and languages from
SPOKEN_LANGUAGES (forum/models/experts.py), so the directory and routing can match them.
"""

from flask_babel import gettext as _
from sqlalchemy import delete, insert, select

from forum import ratelimit
from forum.errors import InvalidInput, PermissionDenied
from forum.extensions import db
from forum.markup import render_markdown
from forum.models import (
    MAX_EXPERTISE,
    MAX_LANGUAGES,
    SPOKEN_LANGUAGES,
    Tag,
    User,
    UserExpertise,
    UserLanguage,
)
from forum.services.accounts import SUPPORTED_LOCALES, clean_text, validate_display_name
from forum.services.inputs import text
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


def clean_expertise(value, errors: dict) -> list[Tag]:
    """Distinct existing tags, at most MAX_EXPERTISE; a string is split on commas."""
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
    tags = {tag.name: tag for tag in db.session.scalars(select(Tag).where(Tag.name.in_(names)))}
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
    tags = clean_expertise(expertise, errors) if expertise is not None else None
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

