"""Forgiving matching: what a query's words also stand for, found in the index's own words.

For every word typed (a *group*, weight 1):
- its British/American spellings (sterilization/sterilisation, labor/labour,
  counseling/counselling, program/programme, center/centre, anemia/anaemia), when the index
  holds them: weight 1;
- when neither the index nor the thesaurus knows the word: for the last word, the index
  words it begins ("contra" -> contraception), PREFIX_WEIGHT; otherwise (or when it begins
  none) the index words one edit away (two for words of eight letters or more; a swap of
  two letters counts as one edit; words under TYPO_MIN letters are left alone), weight
  TYPO_WEIGHT, the closest making the "did you mean" suggestion.
Then the thesaurus (forum/services/thesaurus.py): every concept one of whose terms the query
holds (after the typo corrections) adds a group of its other terms, weight SYNONYM_WEIGHT
for the terms in the language of the term found and CROSS_WEIGHT for the other language.

The index's words and their document counts (the *vocabulary*) come from the engine in one
statement: fts5vocab tables on SQLite, ts_stat() on PostgreSQL, both over the same
normalised documents, so both databases expand a query alike. A process keeps the
vocabulary in memory and reads it again (with the moderators' thesaurus concepts: two
statements): for a small index after its own index writes and at most VOCABULARY_SECONDS
after another process's; for a large one (SMALL_INDEX documents or more) every
LARGE_VOCABULARY_SECONDS, whoever wrote (a word new to the index is corrected towards, or
completed to, only after that).
"""

from __future__ import annotations

import bisect
import re
import time
from dataclasses import dataclass, field

from rapidfuzz import process
from rapidfuzz.distance import OSA
from sqlalchemy import text as sa_text

from forum.extensions import db
from forum.services import thesaurus
from forum.services.search_text import STOP_WORDS, stem, words

TYPO_WEIGHT = {1: 0.8, 2: 0.6}
PREFIX_WEIGHT = 0.6
SYNONYM_WEIGHT = 0.8
CROSS_WEIGHT = 0.7
TYPO_MIN = 5  # shorter unknown words are not corrected (push is no typo of pus)
PREFIX_MAX = 5  # index words a last-word prefix stands for
TYPO_MAX = 2  # corrections kept per misspelt word
ALTERNATIVES_MAX = 80  # alternative forms of a whole query
VOCABULARY_SECONDS = 60  # a small index's vocabulary, at most this old
LARGE_VOCABULARY_SECONDS = 300  # a large one's (reading it costs more: see docs/search.md)
SMALL_INDEX = 5_000  # documents: below this a vocabulary is re-read after every write


# -- the vocabulary -----------------------------------------------------------------------


@dataclass
class Vocabulary:
    """The index's words (both document sets) with the number of documents holding each."""

    df: dict[str, int]
    documents: int
    sorted_words: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.sorted_words = sorted(self.df)
        self.typo_pool = [w for w in self.sorted_words if w.isalpha() and len(w) >= 3]

    def prefixed(self, prefix: str, limit: int) -> list[str]:
        """The `limit` commonest words beginning with `prefix` (not `prefix` itself)."""
        start = bisect.bisect_left(self.sorted_words, prefix)
        found = []
        for word in self.sorted_words[start:]:
            if not word.startswith(prefix):
                break
            if word != prefix:
                found.append(word)
        found.sort(key=lambda w: (-self.df[w], w))
        return found[:limit]

    def near(self, word: str) -> list[tuple[str, int]]:
        """[(index word, edits)] closest to a word the index lacks, best first."""
        most = 1 if len(word) < 8 else 2
        if len(word) < TYPO_MIN:
            return []
        hits = process.extract(word, self.typo_pool, scorer=OSA.distance,
                               score_cutoff=most, limit=50)
        found = [(w, int(d)) for w, d, _i in hits if abs(len(w) - len(word)) <= most]
        found.sort(key=lambda x: (x[1], -self.df[x[0]], x[0]))
        best = found[0][1] if found else 0
        return [(w, d) for w, d in found if d == best][:TYPO_MAX]


_vocabularies: dict = {}  # engine id -> (read at, generation, Vocabulary)
_generation = [0]


def index_changed() -> None:
    """Called by the index writers: this process's vocabulary is out of date."""
    _generation[0] += 1


def _read(connection) -> Vocabulary:
    """One statement: every word with its document count, and a row ('', documents)."""
    if connection.dialect.name == "postgresql":
        sql = ("SELECT word, ndoc FROM ts_stat('SELECT document FROM question_fts') "
               "UNION ALL SELECT word, ndoc FROM ts_stat('SELECT document FROM faq_fts') ")
    else:  # the fts5vocab tables made by search.install()
        sql = ("SELECT term, doc FROM question_fts_vocab "
               "UNION ALL SELECT term, doc FROM faq_fts_vocab ")
    sql += ("UNION ALL SELECT '', (SELECT count(*) FROM question_fts) "
            "+ (SELECT count(*) FROM faq_fts)")
    df: dict[str, int] = {}
    for word, count in connection.execute(sa_text(sql)):
        df[word] = df.get(word, 0) + int(count)
    documents = df.pop("", 0)
    return Vocabulary(df, documents)


def vocabulary() -> Vocabulary:
    """The vocabulary of the current app's database (cached; see the module's docstring)."""
    key = id(db.engine)
    hit = _vocabularies.get(key)
    now = time.monotonic()
    if hit:
        read_at, generation, vocab = hit
        age = now - read_at
        if vocab.documents >= SMALL_INDEX:
            fresh = age < LARGE_VOCABULARY_SECONDS
        else:
            fresh = age < VOCABULARY_SECONDS and generation == _generation[0]
        if fresh:
            return vocab
    generation = _generation[0]
    vocab = _read(db.session.connection())
    _vocabularies[key] = (now, generation, vocab)
    thesaurus.refresh()  # moderators' concepts are read again with the vocabulary
    return vocab


# -- spelling variants --------------------------------------------------------------------

_VARIANT_RULES = [
    (r"isation", "ization"), (r"ization", "isation"), (r"ise$", "ize"), (r"ize$", "ise"),
    (r"ised$", "ized"), (r"ized$", "ised"), (r"ising$", "izing"), (r"izing$", "ising"),
    (r"our$", "or"), (r"([^o])or$", r"\1our"), (r"ours$", "ors"), (r"([^o])ors$", r"\1ours"),
    (r"elling$", "eling"), (r"eling$", "elling"), (r"elled$", "eled"), (r"eled$", "elled"),
    (r"ellor$", "elor"), (r"elor$", "ellor"), (r"ellors$", "elors"), (r"elors$", "ellors"),
    (r"tre$", "ter"), (r"ter$", "tre"), (r"tres$", "ters"), (r"ters$", "tres"),
    (r"gramme$", "gram"), (r"gram$", "gramme"), (r"grammes$", "grams"), (r"grams$", "grammes"),
    (r"ae", "e"), (r"oe", "e"), (r"^e", "oe"), (r"([^aeo])e(?=m|n|s|t)", r"\1ae"),
    (r"ogue$", "og"), (r"og$", "ogue"), (r"yse$", "yze"), (r"yze$", "yse"),
]
_VARIANTS = [(re.compile(a), b) for a, b in _VARIANT_RULES]


def spelling_variants(word: str) -> set[str]:
    """Other spellings of a folded word, in index form (some are no words at all: only
    those the index holds are used)."""
    found = set()
    for pattern, repl in _VARIANTS:
        other = pattern.sub(repl, word, count=1)
        if other != word:
            found.add(stem(other))
    found.discard(stem(word))
    return found


# -- expansion ------------------------------------------------------------------------------


@dataclass
class Expansion:
    """A query's groups: [{form: weight}] (the typed words' first, in order), the concepts
    found, and {typed word: correction} for "did you mean"."""

    groups: list[dict[tuple[str, ...], float]]
    concepts: list[str]
    corrections: dict[str, str]

    @property
    def forms(self) -> list[tuple[str, ...]]:
        """Every form to look for, once."""
        seen: dict[tuple[str, ...], None] = {}
        for group in self.groups:
            for form in group:
                seen.setdefault(form, None)
        return list(seen)


def expand(q: str, terms: list[str], *, prefix: bool = True) -> Expansion:
    """Expand the typed words `terms` (index form) of the query text `q`."""
    vocab = vocabulary()
    raw = {}
    sequence = []  # the query's words in index form, stop words included, for concepts
    for word in words(q):
        form = stem(word)
        raw.setdefault(form, word)
        sequence.append(form)
    groups: list[dict[tuple[str, ...], float]] = []
    corrections: dict[str, str] = {}
    corrected: dict[str, str] = {}
    last = terms[-1] if terms else None
    for term in terms:
        group = {(term,): 1.0}
        for other in spelling_variants(raw.get(term, term)):
            if other in vocab.df:
                group.setdefault((other,), 1.0)
        known = term in vocab.df or term in thesaurus.term_index().words \
            or any(len(f) == 1 and f[0] in vocab.df for f in group)
        if not known and term.isalpha():
            completions = []
            if prefix and term == last and len(raw.get(term, term)) >= 3:
                completions = vocab.prefixed(raw.get(term, term), PREFIX_MAX)
            for word in completions:
                group.setdefault((word,), PREFIX_WEIGHT)
            # A last word that begins index words is being typed, not misspelt.
            near = [] if completions else vocab.near(term)
            for word, edits in near:
                group.setdefault((word,), TYPO_WEIGHT[edits])
            if near:
                corrected[term] = near[0][0]
                typed = raw.get(term, term)
                tail = typed[len(term):] if typed.startswith(term) else ""
                corrections[typed] = near[0][0] + tail
        groups.append(group)
    concepts = []
    index = thesaurus.term_index()
    fixed = [corrected.get(form, form) for form in sequence]
    found_terms = [(n, tuple(sequence[a:b])) for n, a, b in thesaurus.find(sequence)]
    if fixed != sequence:
        found_terms += [(n, tuple(fixed[a:b])) for n, a, b in thesaurus.find(fixed)]
    done = set()
    for number, found in found_terms:
        if number in done:
            continue
        done.add(number)
        concept = index.concepts[number]
        if all(w in STOP_WORDS for w in found):
            continue
        found_lang = next((lang for form, n, lang in index.by_first.get(found[0], ())
                           if n == number and form == found), "en")
        group: dict[tuple[str, ...], float] = {}
        for lang, term in concept.terms:
            form = thesaurus.term_form(term)
            if form and form != found and form not in group:
                group[form] = SYNONYM_WEIGHT if lang == found_lang else CROSS_WEIGHT
        if group:
            groups.append(group)
            concepts.append(concept.key)
    # Keep the whole query within ALTERNATIVES_MAX forms (typed groups first).
    total = 0
    kept = []
    for group in groups:
        if total >= ALTERNATIVES_MAX:
            break
        trimmed = dict(list(group.items())[:max(1, ALTERNATIVES_MAX - total)])
        total += len(trimmed)
        kept.append(trimmed)
    return Expansion(kept, concepts, corrections)
