"""Expert profiles and routing: areas of expertise (from the tag vocabulary), languages
spoken (from SPOKEN_LANGUAGES), and questions routed to the people who could answer them."""

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from forum.extensions import db
from forum.models.base import UTCDateTime, utcnow
from forum.models.user import User

MAX_EXPERTISE = 10  # areas of expertise per person
MAX_LANGUAGES = 10  # languages per person

# The languages people may say they speak: code -> (name in English, name in French).
# ISO 639-1 codes where there is one, else ISO 639-3. Chosen for the communities Tacit
# serves (Asia, East Africa, West Africa) and the languages of their partners.
SPOKEN_LANGUAGES: dict[str, tuple[str, str]] = {
    "en": ("English", "anglais"),
    "fr": ("French", "français"),
    "ar": ("Arabic", "arabe"),
    "pt": ("Portuguese", "portugais"),
    "es": ("Spanish", "espagnol"),
    "sw": ("Swahili", "swahili"),
    "am": ("Amharic", "amharique"),
    "om": ("Oromo", "oromo"),
    "ti": ("Tigrinya", "tigrigna"),
    "so": ("Somali", "somali"),
    "lg": ("Luganda", "luganda"),
    "rw": ("Kinyarwanda", "kinyarwanda"),
    "rn": ("Kirundi", "kirundi"),
    "luo": ("Dholuo", "dholuo"),
    "ki": ("Kikuyu", "kikuyu"),
    "wo": ("Wolof", "wolof"),
    "ff": ("Fula", "peul"),
    "bm": ("Bambara", "bambara"),
    "mos": ("Mooré", "mooré"),
    "ha": ("Hausa", "haoussa"),
    "yo": ("Yoruba", "yoruba"),
    "ig": ("Igbo", "igbo"),
    "ak": ("Akan (Twi)", "akan (twi)"),
    "ee": ("Ewe", "éwé"),
    "dyu": ("Dioula", "dioula"),
    "sus": ("Susu", "soussou"),
    "ln": ("Lingala", "lingala"),
    "hi": ("Hindi", "hindi"),
    "bn": ("Bengali", "bengali"),
    "ur": ("Urdu", "ourdou"),
    "ne": ("Nepali", "népalais"),
    "ta": ("Tamil", "tamoul"),
    "te": ("Telugu", "télougou"),
    "mr": ("Marathi", "marathi"),
    "si": ("Sinhala", "cingalais"),
    "ps": ("Pashto", "pachto"),
    "id": ("Indonesian", "indonésien"),
    "ms": ("Malay", "malais"),
    "tl": ("Filipino (Tagalog)", "filipino (tagalog)"),
    "vi": ("Vietnamese", "vietnamien"),
    "th": ("Thai", "thaï"),
    "km": ("Khmer", "khmer"),
    "lo": ("Lao", "lao"),
    "my": ("Burmese", "birman"),
    "zh": ("Chinese", "chinois"),
}

ROUTE_STATES = ("suggested", "asked")


def language_name(code: str, locale: str = "en") -> str:
    """A language's name in English or French (the code itself when it is unknown)."""
    names = SPOKEN_LANGUAGES.get(code)
    if names is None:
        return code
    return names[1] if locale == "fr" else names[0]


class UserExpertise(db.Model):
    """One area of expertise of one person: a tag of the forum's vocabulary."""

    __tablename__ = "user_expertise"
    __table_args__ = (Index("ix_user_expertise_tag", "tag_id", "user_id"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                         primary_key=True)
    tag_id: Mapped[int] = mapped_column(ForeignKey("tags.id", ondelete="CASCADE"),
                                        primary_key=True)


class UserLanguage(db.Model):
    """One language a person speaks (a code of SPOKEN_LANGUAGES), in the order they gave."""

    __tablename__ = "user_languages"
    __table_args__ = (Index("ix_user_languages_code", "code", "user_id"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                         primary_key=True)
    code: Mapped[str] = mapped_column(String(8), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, default=0)


class QuestionRoute(db.Model):
    """A person who could answer a question: `suggested` when the question was posted (the
    ranking's top 5, shown to the asker), `asked` once the asker or a moderator asked them
    (they are notified; it counts toward their load)."""

    __tablename__ = "question_routes"
    __table_args__ = (
        CheckConstraint("state IN ('suggested', 'asked')", name="state_valid"),
        Index("uq_question_routes_question_user", "question_id", "user_id", unique=True),
        Index("ix_question_routes_user_asked", "user_id", "asked_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    state: Mapped[str] = mapped_column(String(10), default="suggested")
    rank: Mapped[int | None] = mapped_column(Integer)  # 1 = best; NULL when routed by hand
    score: Mapped[float] = mapped_column(Float, default=0.0)
    # Why this person: a list of [reason, detail] the pages translate when they show it,
    # e.g. [["tags", ["implants"]], ["region", "West Africa"], ["language", "fr"]].
    why: Mapped[list] = mapped_column(JSON, default=list)
    suggested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    asked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    asked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    asked_by: Mapped[User | None] = relationship(foreign_keys=[asked_by_id])
