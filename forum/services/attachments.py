"""Attachments: files on questions, answers, replies and chat messages (issue 18).

A file is uploaded first (`store_upload`: checked, cleaned, stored, "pending" and owned by its
uploader), then attached when the post that names it is written (`attach`, inside that
post's unit of work). Nothing about a file is trusted: its type is read from its first bytes,
never from its name or the declared type; images are decoded and encoded again (EXIF and GPS
gone, dimensions capped, whatever was appended to them dropped); PDFs must open with pypdf
(their text, bounded, joins the search index); Office and OpenDocument files must be real
zip containers with the members of their kind, without macros, and not zip bombs. The bytes
live outside the database, in a folder (`UPLOAD_DIR`) behind a tiny storage interface.

Reading follows the item: a file is seen by those who see its post (private groups, hidden
and deleted posts included), so deleting a post hides its files. A moderator may remove one
file (audited).
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import re
import secrets
import time
import unicodedata
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError
from pypdf import PdfReader
from sqlalchemy import func, or_, select

from forum import permissions
from forum.errors import InvalidInput, NotFound, PermissionDenied, ServiceError
from forum.extensions import db
from forum.models import (
    Attachment,
    ChatMessage,
    ChatRoom,
    GroupMembership,
    Post,
    Question,
    User,
    utcnow,
)
from forum.services import audit, inputs
from forum.services.uow import after_commit, transactional

# -- settings (config keys; these are the defaults) -------------------------------------------

DEFAULTS = {
    "ATTACH_MAX_BYTES": 10 * 1024 * 1024,  # one file
    "ATTACH_MAX_PER_POST": 5,  # files on one question, post or chat message
    "ATTACH_USER_QUOTA_BYTES": 200 * 1024 * 1024,  # all of one member's files
    "ATTACH_SITE_QUOTA_BYTES": 20 * 1024 * 1024 * 1024,  # all files of the site
    "ATTACH_PENDING_MAX": 30,  # uploads not attached yet, per member
    "ATTACH_IMAGE_MAX_SIDE": 1600,  # pixels: larger images are scaled down
    "ATTACH_IMAGE_MAX_PIXELS": 40_000_000,  # larger images are refused before decoding
    "ATTACH_THUMB_SIDE": 320,
    "ATTACH_PDF_MAX_PAGES": 50,  # pages whose text is read
    "ATTACH_PDF_SECONDS": 3.0,  # time spent reading a PDF's text
    "ATTACH_TEXT_MAX": 100_000,  # characters of a PDF's text kept
    "ATTACH_ZIP_MAX_BYTES": 100 * 1024 * 1024,  # uncompressed size of an Office file
    "ATTACH_ZIP_MAX_MEMBERS": 5000,
    "ATTACH_ZIP_MAX_RATIO": 100,  # uncompressed / compressed, per member and in total
}
FILENAME_MAX = 200
QUESTION_TEXT_MAX = 200_000  # characters of attached PDFs given to search per question
TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{22,32}")
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def _storable(text: str) -> str:
    """Text without what no database stores (NUL, lone surrogates): PDFs hold both."""
    return _UNSTORABLE.sub("", text)


def setting(name: str):
    """A setting of this module: the app's config, else the default above."""
    return current_app.config.get(name, DEFAULTS[name])


class TooLarge(ServiceError):
    """A file over the size limit."""

    status, code = 413, "too_large"


class QuotaExceeded(ServiceError):
    """The member's or the site's storage is full."""

    status, code = 413, "quota_exceeded"


# -- storage ----------------------------------------------------------------------------------


class LocalStorage:
    """Files in a folder, named by key ("ab/cdef..."): written whole (temp file + rename)."""

    def __init__(self, root: str | os.PathLike) -> None:
        self.root = Path(root)

    def path(self, key: str) -> Path:
        """Where the file of `key` lives (keys are ours: hex and one slash)."""
        if not re.fullmatch(r"[0-9a-f]{2}/[0-9a-f]{30,64}(\.t)?", key):
            raise ValueError(f"bad storage key {key!r}")
        return self.root / key

    def put(self, key: str, data: bytes) -> None:
        """Store `data` under `key`."""
        path = self.path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        temp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
        with open(temp, "wb") as out:
            out.write(data)
        os.replace(temp, path)

    def get(self, key: str) -> bytes:
        """The bytes stored under `key`; FileNotFoundError when gone."""
        return self.path(key).read_bytes()

    def delete(self, key: str) -> None:
        """Forget `key` (nothing when it is gone already)."""
        try:
            self.path(key).unlink()
        except FileNotFoundError:
            pass


def storage() -> LocalStorage:
    """The storage of this app: UPLOAD_DIR, by default `uploads` in the instance folder."""
    root = current_app.config.get("UPLOAD_DIR") or os.path.join(
        current_app.config.get("INSTANCE_DIR") or current_app.instance_path, "uploads")
    return LocalStorage(root)


def _new_key() -> str:
    name = secrets.token_hex(16)
    return f"{name[:2]}/{name[2:]}"


# -- checking what a file is ------------------------------------------------------------------


@dataclass
class Cleaned:
    """A file as we store it: its bytes (re-encoded for images), what it is, its text."""

    data: bytes
    kind: str
    content_type: str
    extension: str
    width: int | None = None
    height: int | None = None
    thumb: bytes | None = None
    text: str = ""


_IMAGE_FORMATS = {  # Pillow format -> (content type, extension)
    "JPEG": ("image/jpeg", "jpg"),
    "PNG": ("image/png", "png"),
    "WEBP": ("image/webp", "webp"),
}
_OOXML = {  # the main part of each Office kind -> (content type, extension)
    "word/document.xml": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx"),
    "xl/workbook.xml": (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
    "ppt/presentation.xml": (
        "application/vnd.openxmlformats-officedocument.presentationml.presentation", "pptx"),
}
_ODF = {
    "application/vnd.oasis.opendocument.text": "odt",
    "application/vnd.oasis.opendocument.spreadsheet": "ods",
    "application/vnd.oasis.opendocument.presentation": "odp",
}


def _refuse(message: str) -> InvalidInput:
    return InvalidInput(message, fields={"file": message})


def _unsupported() -> InvalidInput:
    return _refuse(_("This kind of file is not accepted: attach a PDF, a Word, Excel, "
                     "PowerPoint or OpenDocument file, or a JPEG, PNG or WebP image."))


def sniff(data: bytes) -> str | None:
    """What the first bytes say a file is: "image", "pdf", "zip" or None."""
    if data[:3] == b"\xff\xd8\xff" or data[:8] == b"\x89PNG\r\n\x1a\n" \
            or (data[:4] == b"RIFF" and data[8:12] == b"WEBP"):
        return "image"
    if data[:5] == b"%PDF-":
        return "pdf"
    if data[:4] == b"PK\x03\x04":
        return "zip"
    return None


def clean_file(data: bytes) -> Cleaned:
    """Check and clean one uploaded file by its content. Raises InvalidInput (field `file`)
    when it is not a file we accept or does not hold what it claims."""
    kind = sniff(data)
    if kind == "image":
        return _clean_image(data)
    if kind == "pdf":
        return _clean_pdf(data)
    if kind == "zip":
        return _clean_office(data)
    raise _unsupported()


def _clean_image(data: bytes) -> Cleaned:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.format not in _IMAGE_FORMATS:
                raise _unsupported()
            if image.width * image.height > setting("ATTACH_IMAGE_MAX_PIXELS"):
                raise _refuse(_("This image has too many pixels."))
            if image.format == "JPEG":  # decode at the smallest DCT scale still >= the cap
                scale = min(1.0, setting("ATTACH_IMAGE_MAX_SIDE") / max(image.size))
                image.draft("RGB", (int(image.width * scale), int(image.height * scale)))
            image.load()  # the first frame only: animations become still images
            content_type, extension = _IMAGE_FORMATS[image.format]
            image = ImageOps.exif_transpose(image)  # turned upright, then EXIF is dropped
    except (UnidentifiedImageError, Image.DecompressionBombError,
            Image.DecompressionBombWarning, OSError, SyntaxError, ValueError):
        raise _refuse(_("This image could not be read.")) from None
    side = setting("ATTACH_IMAGE_MAX_SIDE")
    clean = _without_metadata(image, keep_alpha=content_type != "image/jpeg")
    if max(clean.size) > side:
        clean.thumbnail((side, side), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    if content_type == "image/jpeg":
        clean.save(out, "JPEG", quality=85, optimize=True)
    elif content_type == "image/png":
        clean.save(out, "PNG", optimize=True)
    else:
        clean.save(out, "WEBP", quality=80)
    return Cleaned(data=out.getvalue(), kind="image", content_type=content_type,
                   extension=extension, width=clean.width, height=clean.height,
                   thumb=_thumbnail(clean))


def _without_metadata(image: Image.Image, *, keep_alpha: bool) -> Image.Image:
    """A new image of the same pixels and nothing else (no EXIF, XMP, ICC, text chunks)."""
    has_alpha = image.mode in ("RGBA", "LA", "PA") or (
        image.mode == "P" and "transparency" in image.info)
    mode = "RGBA" if keep_alpha and has_alpha else "RGB"
    if image.mode != mode:
        image = image.convert(mode)
    clean = Image.new(mode, image.size)
    clean.paste(image)
    clean.info = {}
    return clean


def _thumbnail(image: Image.Image) -> bytes:
    """A small JPEG (alpha flattened on white), what pages show before anyone asks more."""
    side = setting("ATTACH_THUMB_SIDE")
    thumb = image.copy()
    thumb.thumbnail((side, side), Image.Resampling.LANCZOS)
    if thumb.mode == "RGBA":
        flat = Image.new("RGB", thumb.size, (255, 255, 255))
        flat.paste(thumb, mask=thumb.getchannel("A"))
        thumb = flat
    out = io.BytesIO()
    thumb.save(out, "JPEG", quality=75, optimize=True)
    return out.getvalue()


def _clean_pdf(data: bytes) -> Cleaned:
    broken = _refuse(_("This PDF could not be read."))
    pypdf_log = logging.getLogger("pypdf")
    level = pypdf_log.level
    pypdf_log.setLevel(logging.ERROR)  # a sloppy PDF is not worth a warning per page
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                reader = PdfReader(io.BytesIO(data), strict=False)
                if reader.is_encrypted:  # accepted, but nothing to read
                    return Cleaned(data=data, kind="pdf", content_type="application/pdf",
                                   extension="pdf")
                pages = len(reader.pages)
            except Exception:  # pypdf raises many kinds of errors on hostile input
                raise broken from None
            if pages == 0:
                raise broken
            return Cleaned(data=data, kind="pdf", content_type="application/pdf",
                           extension="pdf", text=_pdf_text(reader, pages))
    finally:
        pypdf_log.setLevel(level)


def _pdf_text(reader, pages: int) -> str:
    """The text of the first pages, within a time and a length budget."""
    limit = setting("ATTACH_TEXT_MAX")
    deadline = time.monotonic() + setting("ATTACH_PDF_SECONDS")
    parts: list[str] = []
    total = 0
    for number in range(min(pages, setting("ATTACH_PDF_MAX_PAGES"))):
        if time.monotonic() > deadline or total >= limit:
            break
        try:
            text = reader.pages[number].extract_text() or ""
        except Exception:  # one bad page does not spoil the others
            continue
        text = " ".join(_storable(text).split())
        parts.append(text)
        total += len(text) + 1
    return " ".join(parts)[:limit]


def _clean_office(data: bytes) -> Cleaned:
    broken = _refuse(_("This document could not be read."))
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        raise broken from None
    _check_not_bomb(members, len(data))
    names = {member.filename for member in members}
    if any(name.lower().endswith("vbaproject.bin") for name in names):
        raise _refuse(_("Documents with macros are not accepted."))
    try:
        if members and members[0].filename == "mimetype":
            mimetype = archive.open(members[0]).read(100).decode("ascii", "replace").strip()
            if mimetype in _ODF:
                return Cleaned(data=data, kind="document", content_type=mimetype,
                               extension=_ODF[mimetype])
        if "[Content_Types].xml" in names:
            for part, (content_type, extension) in _OOXML.items():
                if part in names:
                    return Cleaned(data=data, kind="document", content_type=content_type,
                                   extension=extension)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, RuntimeError):
        raise broken from None
    raise _unsupported()  # a plain zip, or a zip of something else


def _check_not_bomb(members: list[zipfile.ZipInfo], compressed: int) -> None:
    """Refuse archives that would unpack to far more than they weigh (by their own
    directory: nothing is unpacked here)."""
    bomb = _refuse(_("This document unpacks to too much data."))
    if len(members) > setting("ATTACH_ZIP_MAX_MEMBERS"):
        raise bomb
    ratio = setting("ATTACH_ZIP_MAX_RATIO")
    total = 0
    for member in members:
        total += member.file_size
        if member.file_size > 1024 * 1024 and member.file_size > ratio * max(
                member.compress_size, 1):
            raise bomb
    if total > setting("ATTACH_ZIP_MAX_BYTES") or (
            total > 1024 * 1024 and total > ratio * max(compressed, 1)):
        raise bomb


def clean_filename(name, extension: str) -> str:
    """A name to show and to download as: no folders, no control characters, at most 200
    characters, and always the extension of what the file really is."""
    name = name if isinstance(name, str) else ""
    name = unicodedata.normalize("NFC", _storable(name))
    name = re.split(r"[\\/]", name)[-1]
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C").strip(" .")
    stem = name.rsplit(".", 1)[0] if "." in name else name
    stem = stem.strip(" .")[:FILENAME_MAX - len(extension) - 1] or "file"
    return f"{stem}.{extension}"


# -- upload -----------------------------------------------------------------------------------


def _stored_bytes(where) -> int:
    return db.session.scalar(select(func.coalesce(func.sum(Attachment.size), 0))
                             .where(where, Attachment.state != "removed")) or 0


@transactional
def store_upload(user: User, filename, data: bytes, *, declared_type=None) -> Attachment:
    """Check, clean and store one file for `user`; it stays "pending" (seen by its uploader
    only) until a post attaches it. `declared_type` is ignored but for logging: the content
    decides. Raises InvalidInput (field `file`), TooLarge, QuotaExceeded, PermissionDenied
    (not a member, or suspended)."""
    inputs.require_active(user)
    if not isinstance(data, bytes | bytearray) or not data:
        raise _refuse(_("Choose a file."))
    limit = setting("ATTACH_MAX_BYTES")
    if len(data) > limit:
        raise TooLarge(_("Files can be at most %(n)s.", n=human_size(limit)),
                       fields={"file": _("Too large.")})
    pending = db.session.scalar(select(func.count(Attachment.id)).where(
        Attachment.uploader_id == user.id, Attachment.state == "pending")) or 0
    if pending >= setting("ATTACH_PENDING_MAX"):
        raise QuotaExceeded(_("You have %(n)d files uploaded but not attached to a post: "
                              "post them first.", n=pending))
    cleaned = clean_file(bytes(data))
    size = len(cleaned.data) + len(cleaned.thumb or b"")
    if _stored_bytes(Attachment.uploader_id == user.id) + size > \
            setting("ATTACH_USER_QUOTA_BYTES"):
        raise QuotaExceeded(_("Your storage is full (%(n)s): a moderator can remove old "
                              "files.", n=human_size(setting("ATTACH_USER_QUOTA_BYTES"))))
    if _stored_bytes(Attachment.id.is_not(None)) + size > setting("ATTACH_SITE_QUOTA_BYTES"):
        raise QuotaExceeded(_("The forum's storage is full: files cannot be added for now."))
    store = storage()
    key = _new_key()
    thumb_key = f"{key}.t" if cleaned.thumb else None
    store.put(key, cleaned.data)
    if thumb_key:
        store.put(thumb_key, cleaned.thumb)
    attachment = Attachment(
        token=secrets.token_urlsafe(18), uploader_id=user.id,
        filename=clean_filename(filename, cleaned.extension),
        content_type=cleaned.content_type, kind=cleaned.kind, size=len(cleaned.data),
        sha256=hashlib.sha256(cleaned.data).hexdigest(), storage_key=key,
        thumb_key=thumb_key, width=cleaned.width, height=cleaned.height,
        text=cleaned.text, state="pending", created_at=utcnow())
    db.session.add(attachment)
    db.session.flush()
    return attachment


def human_size(size: int) -> str:
    """1.5 MB, 300 KB, 12 bytes (units read the same in English and French: Mo/Ko aside)."""
    if size >= 1024 * 1024:
        return _("%(n)s MB", n=f"{size / (1024 * 1024):.1f}".rstrip("0").rstrip("."))
    if size >= 1024:
        return _("%(n)s KB", n=str(max(1, round(size / 1024))))
    return _("%(n)s bytes", n=str(size))


# -- attaching --------------------------------------------------------------------------------


def clean_ids(value, errors: dict) -> list[int]:
    """A list of attachment ids (ints, or digit strings from forms); None or "" is none."""
    if value in (None, ""):
        return []
    if isinstance(value, int | str) and not isinstance(value, bool):
        value = [value]
    if not isinstance(value, list | tuple):
        errors["attachments"] = _("Give a list of attachment ids.")
        return []
    ids: list[int] = []
    for raw in value:
        ident = inputs.as_id(raw)
        if ident is None:
            errors["attachments"] = _("Give a list of attachment ids.")
            return []
        if ident not in ids:
            ids.append(ident)
    return ids


def tokens_in(body: str) -> list[str]:
    """The tokens of our files that a Markdown body links to (`/files/<token>`)."""
    return list(dict.fromkeys(re.findall(r"/files/([A-Za-z0-9_-]{22,32})", body or "")))


def attach(user: User, ids, *, body: str = "", question: Question | None = None,
           post: Post | None = None, message: ChatMessage | None = None) -> list[Attachment]:
    """Attach `user`'s pending uploads (`ids`, and those the body links to) to one question,
    post or chat message, inside the caller's write. Raises InvalidInput (`attachments`):
    someone else's upload, one attached already, or more than ATTACH_MAX_PER_POST."""
    errors: dict = {}
    wanted = clean_ids(ids, errors)
    if errors:
        raise InvalidInput(fields=errors)
    tokens = tokens_in(body)
    if not wanted and not tokens:
        return []
    conditions = []
    if wanted:
        conditions.append(Attachment.id.in_(wanted))
    if tokens:
        conditions.append(Attachment.token.in_(tokens))
    found = db.session.scalars(select(Attachment).where(or_(*conditions))).all()
    by_id = {a.id: a for a in found}
    mine = [a for a in found if a.uploader_id == user.id and a.state == "pending"]
    if any(by_id.get(i) is None or by_id[i] not in mine for i in wanted):
        raise InvalidInput(fields={"attachments": _(
            "Attach only files you uploaded and have not attached yet.")})
    if not mine:
        return []
    target = {"question_id": question.id if question else None,
              "post_id": post.id if post else None,
              "chat_message_id": message.id if message else None}
    if sum(v is not None for v in target.values()) != 1:
        raise ValueError("attach() needs one question, post or message")
    already = db.session.scalar(select(func.count(Attachment.id)).where(
        *(getattr(Attachment, k) == v for k, v in target.items() if v is not None),
        Attachment.state == "attached")) or 0
    if already + len(mine) > setting("ATTACH_MAX_PER_POST"):
        raise InvalidInput(fields={"attachments": _(
            "At most %(n)d files per post.", n=setting("ATTACH_MAX_PER_POST"))})
    now = utcnow()
    for attachment in sorted(mine, key=lambda a: a.id):
        attachment.state = "attached"
        attachment.attached_at = now
        for key, value in target.items():
            setattr(attachment, key, value)
    db.session.flush()
    return sorted(mine, key=lambda a: a.id)


# -- reading ----------------------------------------------------------------------------------


def _item_visible(user, attachment: Attachment) -> bool:
    """Whether `user` sees the question, post or chat message a file is attached to."""
    if attachment.question_id is not None:
        question = db.session.get(Question, attachment.question_id)
        return question is not None and permissions.can_view_question(user, question)
    if attachment.post_id is not None:
        post = db.session.get(Post, attachment.post_id)
        if post is None or not permissions.can_view_question(user, post.question):
            return False
        if post.is_deleted and not permissions.is_moderator(user):
            return False
        return post.hidden_at is None or permissions.is_author(user, post) \
            or permissions.moderates_question(user, post.question)
    if attachment.chat_message_id is not None:
        message = db.session.get(ChatMessage, attachment.chat_message_id)
        if message is None or message.is_deleted or not _can_enter(user, message.room):
            return False
        return message.hidden_at is None or message.author_id == user.id or \
            permissions.moderates_group_id(user, message.room.group_id)
    return False


def _can_enter(user, room: ChatRoom | None) -> bool:
    """chat.can_enter's rule (this module sits below the chat service, which attaches):
    group rooms: members, and site moderators in public groups; direct rooms: their two."""
    if not permissions.is_user(user) or room is None:
        return False
    if room.is_group:
        member = db.session.scalar(select(GroupMembership.id).where(
            GroupMembership.group_id == room.group_id,
            GroupMembership.user_id == user.id)) is not None
        return member or (permissions.is_moderator(user) and not room.group.private)
    ids = room.direct_user_ids()
    return ids is not None and user.id in ids


def get_for_reading(user, token) -> Attachment:
    """The file `token` names, if `user` may read it: a pending upload by its uploader, an
    attached one by whoever sees its post. NotFound otherwise (removed files included)."""
    missing = NotFound(_("No such file."))
    if not isinstance(token, str) or not TOKEN_RE.fullmatch(token):
        raise missing
    attachment = db.session.scalar(select(Attachment).where(Attachment.token == token))
    if attachment is None or attachment.state == "removed":
        raise missing
    if attachment.state == "pending":
        if permissions.is_user(user) and attachment.uploader_id == user.id:
            return attachment
        raise missing
    if not _item_visible(user, attachment):
        raise missing
    return attachment


def is_public(attachment: Attachment) -> bool:
    """Whether anyone, logged in or not, may read it (shared caches may keep it)."""
    return attachment.state == "attached" and _item_visible(None, attachment)


def read_bytes(attachment: Attachment, *, thumb: bool = False) -> bytes:
    """The stored bytes of a file (or of its thumbnail). Raises NotFound when they are
    gone from the storage."""
    key = attachment.thumb_key if thumb else attachment.storage_key
    if not key:
        raise NotFound(_("No such file."))
    try:
        return storage().get(key)
    except (FileNotFoundError, ValueError):
        raise NotFound(_("No such file.")) from None


def _attached_to(column, ids) -> dict[int, list[Attachment]]:
    ids = [i for i in ids if i is not None]
    grouped: dict[int, list[Attachment]] = {i: [] for i in ids}
    if not ids:
        return grouped
    rows = db.session.scalars(select(Attachment).where(column.in_(ids),
                                                       Attachment.state == "attached")
                              .order_by(Attachment.id))
    for attachment in rows:
        grouped[getattr(attachment, column.key)].append(attachment)
    return grouped


def for_posts(post_ids) -> dict[int, list[Attachment]]:
    """The attached files of these posts (one query), by post id; callers have already
    checked that the reader sees the posts."""
    return _attached_to(Attachment.post_id, list(post_ids))


def for_questions(question_ids) -> dict[int, list[Attachment]]:
    """The attached files of these questions' own bodies (one query), by question id."""
    return _attached_to(Attachment.question_id, list(question_ids))


def for_messages(message_ids) -> dict[int, list[Attachment]]:
    """The attached files of these chat messages (one query), by message id."""
    return _attached_to(Attachment.chat_message_id, list(message_ids))


def as_json(attachment: Attachment) -> dict:
    """The API's attachment object (docs/api.md)."""
    return {"id": attachment.id, "filename": attachment.filename,
            "content_type": attachment.content_type, "kind": attachment.kind,
            "size": attachment.size, "width": attachment.width, "height": attachment.height,
            "url": f"/files/{attachment.token}",
            "thumbnail_url": f"/files/{attachment.token}/thumb" if attachment.thumb_key
            else None,
            "markdown": markdown_of(attachment)}


def markdown_of(attachment: Attachment) -> str:
    """What to paste in a post to show an image, or link to another file."""
    label = re.sub(r"[\[\]\\]", "", attachment.filename.rsplit(".", 1)[0])[:100] or "file"
    if attachment.kind == "image":
        return f"![{label}](/files/{attachment.token})"
    return f"[{label}](/files/{attachment.token})"


def text_of_question(question_id: int) -> str:
    """The text of the PDFs attached to a question and to its answers and replies that
    everyone sees (not deleted, not hidden), capped: what search indexes, below the
    posts' own words."""
    visible_posts = select(Post.id).where(Post.question_id == question_id,
                                          Post.deleted_at.is_(None), Post.hidden_at.is_(None))
    texts = db.session.scalars(
        select(Attachment.text).where(
            Attachment.state == "attached", Attachment.kind == "pdf",
            or_(Attachment.question_id == question_id,
                Attachment.post_id.in_(visible_posts)))
        .order_by(Attachment.id)).all()
    return " ".join(t for t in texts if t)[:QUESTION_TEXT_MAX]


# -- removal ----------------------------------------------------------------------------------


def _group_of(attachment: Attachment) -> tuple[bool, int | None]:
    """(whether anyone may moderate it at all, the group id whose moderators may)."""
    if attachment.question_id is not None:
        question = db.session.get(Question, attachment.question_id)
        return question is not None, question.group_id if question else None
    if attachment.post_id is not None:
        post = db.session.get(Post, attachment.post_id)
        return post is not None, post.question.group_id if post else None
    if attachment.chat_message_id is not None:
        message = db.session.get(ChatMessage, attachment.chat_message_id)
        if message is None:
            return False, None
        return True, message.room.group_id
    return False, None


def may_remove(user, attachment: Attachment) -> bool:
    """Moderators of the item's group (site moderators for direct chat rooms)."""
    known, group_id = _group_of(attachment)
    return known and permissions.is_user(user) and permissions.moderates_group_id(user,
                                                                                   group_id)


@transactional
def remove_attachment(moderator: User, token, *, reason="") -> Attachment:
    """Remove one attached file (a moderator of its group); its bytes are deleted once the
    removal is committed, and the audit log keeps who, when and why. Raises NotFound or
    PermissionDenied."""
    inputs.require_active(moderator)
    attachment = get_for_reading(moderator, token)
    if attachment.state != "attached" or not may_remove(moderator, attachment):
        raise PermissionDenied(_("Only moderators can remove files."))
    errors: dict = {}
    reason = " ".join(inputs.text(reason or "", "reason", errors).split())[:audit.REASON_MAX]
    if errors:
        raise InvalidInput(fields=errors)
    _known, group_id = _group_of(attachment)
    attachment.state = "removed"
    attachment.removed_at = utcnow()
    attachment.removed_by_id = moderator.id
    audit.record(moderator, "attachment.remove", "attachment", attachment.id,
                 group_id=group_id, reason=reason,
                 before={"filename": attachment.filename, "sha256": attachment.sha256,
                         "question_id": attachment.question_id,
                         "post_id": attachment.post_id,
                         "chat_message_id": attachment.chat_message_id})
    store = storage()
    for key in (attachment.storage_key, attachment.thumb_key):
        if key:
            after_commit(store.delete, key)
    return attachment


def pending_of(user, ids: list[int]) -> list[Attachment]:
    """Those of `ids` that are `user`'s uploads still pending (a form shows them again)."""
    if not ids or not permissions.is_user(user):
        return []
    return list(db.session.scalars(select(Attachment).where(
        Attachment.id.in_(ids), Attachment.uploader_id == user.id,
        Attachment.state == "pending").order_by(Attachment.id)))


def for_history(messages) -> dict[int, list[Attachment]]:
    """The files of chat messages as chat.history() gave them to a reader: none for deleted
    messages, nor for the stand-ins of messages a moderator hid (no author, no text)."""
    shown = [m.id for m in messages
             if m.deleted_at is None and (m.hidden_at is None or m.author_id is not None)]
    attached = for_messages(shown)
    return {m.id: attached.get(m.id, []) for m in messages}


def for_thread(question_id: int, post_ids) -> tuple[list[Attachment], dict[int, list]]:
    """The files of a question's own body and of these posts of its thread, in one query:
    (the question's, {post id: the post's})."""
    post_ids = list(post_ids)
    where = Attachment.question_id == question_id
    if post_ids:
        where = or_(where, Attachment.post_id.in_(post_ids))
    own: list[Attachment] = []
    by_post: dict[int, list[Attachment]] = {i: [] for i in post_ids}
    for attachment in db.session.scalars(select(Attachment).where(
            where, Attachment.state == "attached").order_by(Attachment.id)):
        if attachment.question_id == question_id:
            own.append(attachment)
        elif attachment.post_id in by_post:
            by_post[attachment.post_id].append(attachment)
    return own, by_post
