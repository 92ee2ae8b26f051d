"""API representations of models (see docs/api.md)."""

from datetime import datetime

from forum.models import User


def iso(value: datetime | None) -> str | None:
    """ISO 8601 with its UTC offset."""
    return value.isoformat() if value else None


def author_json(user: User | None) -> dict | None:
    """The short author object, or None for a deleted account."""
    if user is None or user.is_deleted:
        return None
    return {
        "username": user.username,
        "display_name": user.name,
        "role": user.role,
        "verified_expert": user.verified_expert,
    }


def user_json(user: User, *, private: bool = False, settings: bool = False,
              expertise: list[str] | None = None) -> dict:
    """The user object; `private` adds what only the user themself sees (email, the
    reputation earned in private groups), `settings` (implied by `private`) the directory
    and routing switches, which the user themself and administrators see. `expertise`:
    the areas of expertise the reader may know of (default: all of them, for the user
    themself and administrators; forum.services.profiles.visible_expertise for others)."""
    data = {
        "id": user.id,
        "username": user.username,
        "display_name": user.name,
        "role": user.role,
        "bio_html": user.bio_html,
        "region": user.region,
        "country": user.country,
        "organization": user.organization,
        "title": user.title,
        "languages": user.languages,
        "expertise": user.expertise if expertise is None else expertise,
        "reputation": user.reputation,
        "verified_expert": user.verified_expert,
        "created_at": iso(user.created_at),
    }
    if private or settings:
        data["directory_hidden"] = user.directory_hidden
        data["routing_paused"] = user.routing_paused
    if private:
        # Points earned in private groups: the public `reputation` never counts them.
        data["private_reputation"] = user.private_reputation
        data["email"] = user.email
        data["email_confirmed"] = user.email_confirmed_at is not None
        data["bio"] = user.bio_source
        data["locale"] = user.locale
    return data


def attachment_json(attachment) -> dict:
    """The attachment object: what a reader needs to choose before downloading."""
    label = "".join(c for c in attachment.filename.rsplit(".", 1)[0]
                    if c not in "[]\\")[:100] or "file"
    url = f"/files/{attachment.token}"
    return {
        "id": attachment.id,
        "filename": attachment.filename,
        "content_type": attachment.content_type,
        "kind": attachment.kind,
        "size": attachment.size,
        "width": attachment.width,
        "height": attachment.height,
        "url": url,
        "thumbnail_url": f"{url}/thumb" if attachment.thumb_key else None,
        "markdown": f"![{label}]({url})" if attachment.kind == "image" else f"[{label}]({url})",
    }


def _attachments(data: dict, attachments, deleted: bool = False) -> None:
    if attachments is not None:
        data["attachments"] = [] if deleted else [attachment_json(a) for a in attachments]


def question_url(question_id: int) -> str:
    return f"/questions/{question_id}"


def question_json(question, *, viewer=None, answers=None, attachments=None) -> dict:
    """The question object; `answers` (already loaded, nested) adds the thread,
    `attachments` (its files, loaded by the caller) the `attachments` list."""
    data = {
        "id": question.id,
        "title": question.title,
        "body_html": question.body_html,
        "author": author_json(question.author),
        "group": question.group.slug,
        "tags": [tag.name for tag in question.tags],
        "lang": question.lang,
        "score": question.score,
        "answer_count": question.answer_count,
        "accepted_answer_id": question.accepted_answer_id,
        "status": question.status,
        "in_faq": question.in_faq,
        "created_at": iso(question.created_at),
        "updated_at": iso(question.updated_at),
        "edited_at": iso(question.edited_at),
        "url": question_url(question.id),
    }
    if viewer is not None and getattr(viewer, "id", None) == question.author_id:
        data["body"] = question.body_source
        data["held"] = question.held_at is not None  # waiting for a moderator's approval
    _attachments(data, attachments)
    if answers is not None:
        data["answers"] = answers
    return data


def post_json(post, *, viewer=None, replies=None, accepted_id=None, attachments=None) -> dict:
    """The post object; a deleted post keeps its place but not its text (nor its files)."""
    deleted = post.deleted_at is not None
    data = {
        "id": post.id,
        "question_id": post.question_id,
        "parent_id": post.parent_id,
        "author": None if deleted else author_json(post.author),
        "body_html": "" if deleted else post.body_html,
        "lang": post.lang,
        "score": post.score,
        "accepted": accepted_id is not None and accepted_id == post.id,
        "deleted": deleted,
        "created_at": iso(post.created_at),
        "edited_at": iso(post.edited_at),
        "url": f"{question_url(post.question_id)}#post-{post.id}",
        "replies": replies if replies is not None else [],
    }
    _attachments(data, attachments, deleted)
    if not deleted and viewer is not None and getattr(viewer, "id", None) == post.author_id:
        data["body"] = post.body_source
        data["held"] = post.held_at is not None  # waiting for a moderator's approval
    return data


def message_json(message, *, viewer=None, attachments=None) -> dict:
    """The chat message object; a deleted message keeps its place, not its text.

    `body` (the Markdown source) is added for its author, who may edit it; broadcasts never
    carry it.
    """
    deleted = message.deleted_at is not None
    data = {
        "id": message.id,
        "room": message.room_id,
        "author": None if deleted else author_json(message.author),
        "body_html": "" if deleted else message.body_html,
        "client_id": message.client_id,
        "created_at": iso(message.created_at),
        "edited_at": iso(message.edited_at),
        "deleted": deleted,
        "promoted_question_id": message.promoted_question_id,
    }
    _attachments(data, attachments, deleted)
    if not deleted and viewer is not None and getattr(viewer, "id", None) == message.author_id:
        data["body"] = message.body_source
    return data


def group_json(group, *, following: bool = False) -> dict:
    return {
        "slug": group.slug,
        "name": group.name,
        "name_fr": group.name_fr,
        "region": group.region,
        "description_html": group.description_html,
        "description_fr_html": group.description_fr_html,
        "private": group.private,
        "member_count": group.member_count,
        "question_count": group.question_count,
        "following": following,
    }
