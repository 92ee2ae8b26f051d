"""The FP/RH thesaurus: concepts with their English and French terms, used to widen searches.

The shipped concepts are data (forum/data/thesaurus.txt), read once per process. Moderators
add concepts at /search/thesaurus (rows of thesaurus_concepts); a process keeps them in
memory, reads them again after its own change, and with the index's vocabulary
(search_expand.vocabulary) after another process's. A query holding any term of a concept
also looks for the concept's other terms (forum/services/search_expand.py), each term in
index form (search_text.normalise).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

from flask_babel import gettext as _
from sqlalchemy import select

from forum import permissions
from forum.errors import InvalidInput, NotFound, PermissionDenied
from forum.extensions import db
from forum.models import ThesaurusConcept
from forum.services.search_text import stem, words
from forum.services.uow import after_commit, transactional

DATA_FILE = Path(__file__).resolve().parent.parent / "data" / "thesaurus.txt"
TERMS_MAX = 20  # terms per language in a concept
TERM_MAX_CHARS = 80
TERM_MAX_WORDS = 6


@dataclass(frozen=True)
class Concept:
    """One concept: a key, its English and French terms as written; `id` for a moderator's."""

    key: str
    en: tuple[str, ...]
    fr: tuple[str, ...]
    id: int | None = None

    @property
    def terms(self) -> tuple[tuple[str, str], ...]:
        """(lang, term) for every term."""
        return tuple(("en", t) for t in self.en) + tuple(("fr", t) for t in self.fr)


def term_form(term: str) -> tuple[str, ...]:
    """A term in index form: its stemmed, folded words."""
    return tuple(stem(w) for w in words(term))


def _split_terms(text: str) -> tuple[str, ...]:
    seen: list[str] = []
    for raw in text.split(","):
        term = " ".join(raw.split())
        if term and term not in seen:
            seen.append(term)
    return tuple(seen)


def parse(text: str) -> list[Concept]:
    """Concepts of the data file's text: `key: English terms | French terms` a line."""
    concepts = []
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, rest = line.partition(":")
        en, bar, fr = rest.partition("|")
        if not sep or not bar or not key.strip():
            raise ValueError(f"thesaurus line {number}: expected 'key: en terms | fr terms'")
        concepts.append(Concept(key.strip(), _split_terms(en), _split_terms(fr)))
    return concepts


@cache
def shipped() -> tuple[Concept, ...]:
    """The concepts of forum/data/thesaurus.txt (read once per process)."""
    return tuple(parse(DATA_FILE.read_text(encoding="utf-8")))


# -- moderators' concepts, cached per process ---------------------------------------------

_cache: dict = {}  # engine id -> (generation, concepts)
_generation = [0]


def _changed() -> None:
    _generation[0] += 1


def refresh() -> tuple[Concept, ...]:
    """Read the moderators' concepts again (search_expand.vocabulary calls it whenever it
    reads the vocabulary, so both are as fresh)."""
    rows = db.session.execute(select(ThesaurusConcept.id, ThesaurusConcept.terms_en,
                                     ThesaurusConcept.terms_fr)
                              .order_by(ThesaurusConcept.id)).all()
    found = tuple(Concept(f"custom-{r.id}", _split_terms(r.terms_en),
                          _split_terms(r.terms_fr), r.id) for r in rows)
    _cache[id(db.engine)] = (_generation[0], found)
    return found


def custom() -> tuple[Concept, ...]:
    """The concepts moderators added (cached; see the module's docstring)."""
    hit = _cache.get(id(db.engine))
    if hit and hit[0] == _generation[0]:
        return hit[1]
    return refresh()


def concepts() -> tuple[Concept, ...]:
    """Every concept: shipped, then moderators'."""
    return shipped() + custom()


@dataclass(frozen=True)
class TermIndex:
    """Terms in index form, by their first word: {first word: [(form, concept no, lang)]}."""

    concepts: tuple[Concept, ...]
    by_first: dict
    words: frozenset  # every word of every term: real words, never taken for typos


@lru_cache(maxsize=8)
def _index_of(all_concepts: tuple[Concept, ...]) -> TermIndex:
    by_first: dict = {}
    for n, concept in enumerate(all_concepts):
        for lang, term in concept.terms:
            form = term_form(term)
            if form:
                by_first.setdefault(form[0], []).append((form, n, lang))
    for entries in by_first.values():
        entries.sort(key=lambda e: -len(e[0]))  # longest terms first
    known = frozenset(w for entries in by_first.values() for form, _n, _l in entries
                      for w in form)
    return TermIndex(all_concepts, by_first, known)


def term_index() -> TermIndex:
    """The index of every concept's terms (rebuilt only when the concepts change)."""
    return _index_of(concepts())


def find(forms: list[str]) -> list[tuple[int, int, int]]:
    """Concept terms found in a query's words (index form, in order), longest first:
    [(concept no, start, end)] with no overlaps."""
    index = term_index()
    found = []
    i = 0
    while i < len(forms):
        for form, n, _lang in index.by_first.get(forms[i], ()):
            if tuple(forms[i:i + len(form)]) == form:
                found.append((n, i, i + len(form)))
                i += len(form)
                break
        else:
            i += 1
    return found


# -- moderators' pages --------------------------------------------------------------------


def _clean_terms(value, field: str, errors: dict) -> tuple[str, ...]:
    if not isinstance(value, str):
        errors[field] = _("Write the terms, separated by commas.")
        return ()
    terms = _split_terms(value)
    if len(terms) > TERMS_MAX:
        errors[field] = _("At most %(n)d terms.", n=TERMS_MAX)
    elif any(len(t) > TERM_MAX_CHARS or "\x00" in t for t in terms):
        errors[field] = _("A term has at most %(n)d characters.", n=TERM_MAX_CHARS)
    elif any(not term_form(t) or len(term_form(t)) > TERM_MAX_WORDS for t in terms):
        errors[field] = _("A term has one to %(n)d words.", n=TERM_MAX_WORDS)
    return terms


@transactional
def add_concept(moderator, *, terms_en, terms_fr) -> ThesaurusConcept:
    """Add a concept (English and French terms, comma-separated; two terms at least in all).

    Raises PermissionDenied (not a moderator) and InvalidInput (fields terms_en, terms_fr).
    """
    if not permissions.is_moderator(moderator):
        raise PermissionDenied(_("Only moderators edit the thesaurus."))
    errors: dict = {}
    en = _clean_terms(terms_en, "terms_en", errors)
    fr = _clean_terms(terms_fr, "terms_fr", errors)
    if not errors and len(en) + len(fr) < 2:
        errors["terms_en"] = _("Give at least two terms that mean the same thing.")
    if errors:
        raise InvalidInput(fields=errors)
    row = ThesaurusConcept(terms_en=", ".join(en), terms_fr=", ".join(fr),
                           created_by_id=moderator.id)
    db.session.add(row)
    db.session.flush()
    after_commit(_changed)
    return row


@transactional
def delete_concept(moderator, concept_id) -> None:
    """Delete a concept moderators added (the shipped ones are data, edited in the
    repository). Raises PermissionDenied and NotFound."""
    if not permissions.is_moderator(moderator):
        raise PermissionDenied(_("Only moderators edit the thesaurus."))
    row = db.session.get(ThesaurusConcept, concept_id) if isinstance(concept_id, int) else None
    if row is None:
        raise NotFound(_("No such concept."))
    db.session.delete(row)
    after_commit(_changed)
