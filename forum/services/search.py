"""Full-text search of questions and FAQ entries, on SQLite and PostgreSQL.

How it works (the same rules on both databases):

- Text is normalised in Python, for the index and for queries alike: Unicode NFKD, case
  folded, accents dropped, split into words (letters and digits), and each word folded by
  a small, conservative English/French suffix stripper (`stem`): plurals (vaccines,
  formations, méthodes, hôpitaux), English -ing/-ed (injecting, injected -> inject) and a
  final mute e (vaccine/vaccin, méthode/method). Nouns in -ion are left alone, so
  "injection" does not match "inject".
- Each question has one document: its title, and a body made of the question's body_text
  and the body_text of its live answers (replies are not indexed). SQLite keeps it in the
  FTS5 table `question_fts(title, body)` (rowid = question id, tokenizer
  `unicode61 remove_diacritics 2`); PostgreSQL in the table `question_fts` with a stored
  tsvector (`simple` configuration over the IMMUTABLE `tacit_unaccent()`, title weight A,
  body weight B) under a GIN index. The services keep it in step inside their own
  transaction (index_question / remove_question).
- Each current FAQ entry (due ones included; not obsolete or withdrawn) has one document
  in a second set kept the same way, `faq_fts(title, body)` (rowid / entry_id = the entry's
  id): its title, and a body made of its search_text (title, summary, curated question and
  answer as plain text; the text of its HTML when search_text is empty). The FAQ service
  keeps it in step (index_faq_entry / remove_faq_entry).
- A query is parsed into words (stop words dropped unless nothing else is left),
  "quoted phrases" (required), and -excluded words or -"phrases". One SQL statement asks
  the engine for the matching documents (any word, every phrase, no excluded item) among
  the questions the user may read (permissions.visible_question_clause), with the group,
  tag and language filters: the best CANDIDATES by the engine's own rank (bm25 or
  ts_rank_cd), the count of all matches, and the normalised text of those candidates.
  A second statement does the same for FAQ entries (entries of private groups only for
  members and admins; the tag filter through faq_entry_tags).
- Python then ranks the candidates of both kinds together, the same way on both databases
  (see _rank): first the number of distinct query words matched, then FAQ entries before
  threads (FAQ_BOOST), then a fraction in [0, 1) favouring rarer words (rarity among the
  candidates) and title matches, then an accepted answer, the score, and the newest.
  Word presence is tested on the normalised text, so both databases agree; whenever a
  query matches at most CANDIDATES documents of each kind the order is the same on both
  (beyond that, the engines may pick slightly different candidates).
- Snippets come from the plain-text copies (body_text of the question, or of its best
  matching answer; an entry's summary, question and answer), HTML-escaped, with <mark>
  around the words that matched.
- A page costs a fixed number of queries: one ranking statement per kind, the page's
  questions (with author and group, plus one for the tags), at most one for answers'
  snippets, and the page's entries (with group, plus one for the tags).
"""

from __future__ import annotations

import html
import math
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache

from flask_babel import gettext as _
from sqlalchemy import Float, String, case, func, literal, literal_column, or_, select
from sqlalchemy import column as sa_column
from sqlalchemy import table as sa_table
from sqlalchemy import text as sa_text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import joinedload, selectinload

from forum import permissions
from forum.errors import InvalidInput, NotFound
from forum.extensions import db
from forum.markup import html_to_text
from forum.models import (
    LANGUAGES,
    FaqEntry,
    FaqEntryTag,
    Group,
    Post,
    Question,
    QuestionTag,
    Tag,
)
from forum.services.inputs import clean_tag_name
from forum.services.search_expand import Expansion, expand, index_changed, vocabulary
from forum.services.search_tags import canonical_tag_names  # noqa: F401  (qa.clean_tags)
from forum.services.search_text import (  # noqa: F401  (the search API of this module)
    _WORD,
    MAX_WORD,
    STOP_WORDS,
    fold,
    normalise,
    stem,
    words,
)
from forum.services.uow import unit_of_work

QUERY_MAX = 200
MAX_TERMS = 16  # distinct words ranked; more are ignored (a query is at most 200 chars)
MAX_PHRASES = 5
MAX_EXCLUDED = 10
MAX_BODY_WORDS = 16_000  # per document: under PostgreSQL's last tsvector position, 16383
PER_PAGE_MAX = 100
# Matches are fetched best first by the engine's own rank (bm25, ts_rank_cd), at most this
# many, then ranked in Python by the rules below, identically on both databases.
CANDIDATES = 500
CANDIDATES_MAX = 2_000
SNIPPET_CHARS = 240  # about 35 words

# -- text normalisation: forum/services/search_text.py ------------------------------------

# -- queries -----------------------------------------------------------------------------


@dataclass
class ParsedQuery:
    """A query in index form: ranked words, required phrases, excluded words and phrases."""

    terms: list[str] = field(default_factory=list)
    phrases: list[tuple[str, ...]] = field(default_factory=list)
    excluded: list[tuple[str, ...]] = field(default_factory=list)
    # What the words also stand for (search_expand.expand): set by expand_query().
    expansion: Expansion | None = None

    @property
    def ranked_terms(self) -> list[str]:
        """Every distinct word that counts in the ranking (phrase words included)."""
        seen: list[str] = []
        for word in [*self.terms, *(w for p in self.phrases for w in p)]:
            if word not in seen:
                seen.append(word)
        return seen[:MAX_TERMS]

    @property
    def highlight(self) -> frozenset[str]:
        """The index forms marked in snippets: the words typed and, after expansion, the
        one-word forms they stand for."""
        found = set(self.ranked_terms)
        if self.expansion is not None:
            found.update(f[0] for f in self.expansion.forms
                         if len(f) == 1 and f[0] not in STOP_WORDS)
        return frozenset(found)

    @property
    def groups(self) -> list[dict[tuple[str, ...], float]]:
        """[{form: weight}]: one group per word typed (and per concept, after expansion)."""
        if self.expansion is not None:
            return self.expansion.groups
        return [{(t,): 1.0} for t in self.ranked_terms]

    @property
    def forms(self) -> list[tuple[str, ...]]:
        """Every form that makes a document a match (any one of them)."""
        if self.expansion is not None:
            return self.expansion.forms
        return [(t,) for t in self.terms]

    @property
    def empty(self) -> bool:
        return not self.terms and not self.phrases


_CHUNK = re.compile(r'(-?)"([^"]*)"?|(\S+)')


def parse_query(q: str, *, operators: bool = True) -> ParsedQuery:
    """Split a query into words, "phrases" and -exclusions (all in index form).

    With operators=False (similar questions) quotes and minus signs are plain text, and
    stop words are never searched for.
    """
    parsed = ParsedQuery()
    plain: list[str] = []
    stopped: list[str] = []
    for match in _CHUNK.finditer(q):
        negative, phrase_text, chunk = match.group(1), match.group(2), match.group(3)
        if phrase_text is not None and operators:
            phrase = tuple(stem(w) for w in words(phrase_text))
            if not phrase:
                continue
            if negative:
                if len(parsed.excluded) < MAX_EXCLUDED and phrase not in parsed.excluded:
                    parsed.excluded.append(phrase)
            elif len(parsed.phrases) < MAX_PHRASES and phrase not in parsed.phrases:
                parsed.phrases.append(phrase)
            continue
        chunk = chunk if chunk is not None else match.group(0)
        if operators and chunk.startswith("-") and len(chunk) > 1:
            phrase = tuple(stem(w) for w in words(chunk[1:]))
            if phrase and len(parsed.excluded) < MAX_EXCLUDED and phrase not in parsed.excluded:
                parsed.excluded.append(phrase)
            continue
        for word in words(chunk):
            (stopped if word in STOP_WORDS else plain).append(stem(word))
    if not plain and not parsed.phrases and operators:
        plain = stopped  # a search of stop words only still looks for them
    for word in plain:
        if word not in parsed.terms and len(parsed.terms) < MAX_TERMS:
            parsed.terms.append(word)
    return parsed


# -- structures in the database -------------------------------------------------------


def _dialect(bind) -> str:
    return bind.dialect.name


def install(bind: Connection | Engine) -> None:
    """Create the search structures for this database if missing (idempotent).

    SQLite: the FTS5 tables `question_fts` and `faq_fts`. PostgreSQL: the unaccent
    extension, the IMMUTABLE wrapper `tacit_unaccent(text)`, the tables `question_fts` and
    `faq_fts` with their stored tsvector and GIN index. SQLite also gets the fts5vocab
    tables `question_fts_vocab` and `faq_fts_vocab`. Called by the test fixtures (the
    migrations 1b4f56c6fda1, a7c9e1f3b5d2 and d3f5b7c9e1a2 carry their own copy of this SQL).
    """
    if isinstance(bind, Engine):
        with bind.begin() as connection:
            install(connection)
        return
    if _dialect(bind) == "postgresql":
        bind.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS unaccent")
        schema = bind.exec_driver_sql(
            "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n "
            "ON n.oid = e.extnamespace WHERE e.extname = 'unaccent'").scalar_one()
        quoted = '"' + schema.replace('"', '""') + '"'
        # unaccent() is only STABLE (it reads a dictionary): a schema-qualified IMMUTABLE
        # wrapper may be used in a generated column and its index.
        bind.exec_driver_sql(
            "CREATE OR REPLACE FUNCTION tacit_unaccent(text) RETURNS text "
            "LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS "
            f"$$ SELECT {quoted}.unaccent('{quoted}.unaccent'::regdictionary, $1) $$")
        bind.exec_driver_sql(
            "CREATE TABLE IF NOT EXISTS question_fts ("
            " question_id integer PRIMARY KEY,"
            " title text NOT NULL DEFAULT '',"
            " body text NOT NULL DEFAULT '',"
            " document tsvector GENERATED ALWAYS AS ("
            "  setweight(to_tsvector('simple'::regconfig, tacit_unaccent(title)), 'A') ||"
            "  setweight(to_tsvector('simple'::regconfig, tacit_unaccent(body)), 'B')"
            " ) STORED)")
        bind.exec_driver_sql(
            "CREATE INDEX IF NOT EXISTS question_fts_document_idx "
            "ON question_fts USING gin (document)")
        bind.exec_driver_sql(
            "CREATE TABLE IF NOT EXISTS faq_fts ("
            " entry_id integer PRIMARY KEY,"
            " title text NOT NULL DEFAULT '',"
            " body text NOT NULL DEFAULT '',"
            " document tsvector GENERATED ALWAYS AS ("
            "  setweight(to_tsvector('simple'::regconfig, tacit_unaccent(title)), 'A') ||"
            "  setweight(to_tsvector('simple'::regconfig, tacit_unaccent(body)), 'B')"
            " ) STORED)")
        bind.exec_driver_sql(
            "CREATE INDEX IF NOT EXISTS faq_fts_document_idx ON faq_fts USING gin (document)")
    else:
        bind.exec_driver_sql(
            "CREATE VIRTUAL TABLE IF NOT EXISTS question_fts USING fts5("
            "title, body, tokenize = 'unicode61 remove_diacritics 2')")
        bind.exec_driver_sql(
            "CREATE VIRTUAL TABLE IF NOT EXISTS faq_fts USING fts5("
            "title, body, tokenize = 'unicode61 remove_diacritics 2')")
        # Their words with document counts (search_expand.vocabulary); no data of their own.
        for table in ("question_fts", "faq_fts"):
            bind.exec_driver_sql(f"CREATE VIRTUAL TABLE IF NOT EXISTS {table}_vocab "
                                 f"USING fts5vocab('{table}', 'row')")


def uninstall(bind: Connection | Engine) -> None:
    """Drop what install() created (the unaccent extension stays: others may use it)."""
    if isinstance(bind, Engine):
        with bind.begin() as connection:
            uninstall(connection)
        return
    for table in ("faq_fts_vocab", "question_fts_vocab", "faq_fts", "question_fts"):
        bind.exec_driver_sql(f"DROP TABLE IF EXISTS {table}")
    if _dialect(bind) == "postgresql":
        bind.exec_driver_sql("DROP FUNCTION IF EXISTS tacit_unaccent(text)")


# The two document sets: table and, on PostgreSQL, its key column (SQLite keys on rowid).
QUESTION_DOCS = ("question_fts", "question_id")
FAQ_DOCS = ("faq_fts", "entry_id")


def _write_documents(connection: Connection, rows: list[dict], docs=QUESTION_DOCS) -> None:
    """Insert or replace documents of one set: rows of {id, title, body} in index form."""
    if not rows:
        return
    index_changed()
    table, key = docs
    if _dialect(connection) == "postgresql":
        connection.execute(sa_text(
            f"INSERT INTO {table} ({key}, title, body) VALUES (:id, :title, :body) "
            f"ON CONFLICT ({key}) DO UPDATE SET title = EXCLUDED.title, "
            "body = EXCLUDED.body"), rows)
    else:
        connection.execute(sa_text(f"DELETE FROM {table} WHERE rowid = :id"),
                           [{"id": r["id"]} for r in rows])
        connection.execute(sa_text(
            f"INSERT INTO {table} (rowid, title, body) VALUES (:id, :title, :body)"), rows)


def _delete_document(connection: Connection, ident: int, docs=QUESTION_DOCS) -> None:
    index_changed()
    table, key = docs
    key = key if _dialect(connection) == "postgresql" else "rowid"
    connection.execute(sa_text(f"DELETE FROM {table} WHERE {key} = :id"), {"id": ident})


def _is_answer(parent_id_column):
    # Written so that no planner picks the parent_id index (every answer has NULL there)
    # over the question_id one.
    return func.coalesce(parent_id_column, 0) == 0


def _document(title: str, texts: list[str]) -> tuple[str, str]:
    return normalise(title), normalise("\n".join(t or "" for t in texts), limit=MAX_BODY_WORDS)


def index_question(question_id: int) -> None:
    """Bring the search document of one question (title, body, answers) up to date.

    Runs in the caller's transaction (the caller commits); a deleted or missing question
    is removed from the index; answers hidden by a moderator are left out.
    """
    db.session.flush()
    row = db.session.execute(select(Question.title, Question.body_text, Question.deleted_at)
                             .where(Question.id == question_id)).first()
    if row is None or row.deleted_at is not None:
        remove_question(question_id)
        return
    answers = db.session.scalars(
        select(Post.body_text).where(Post.question_id == question_id, _is_answer(Post.parent_id),
                                     Post.deleted_at.is_(None), Post.hidden_at.is_(None))
        .order_by(Post.created_at, Post.id)).all()
    title, body = _document(row.title, [row.body_text, *answers])
    _write_documents(db.session.connection(), [{"id": question_id, "title": title,
                                                 "body": body}])


def remove_question(question_id: int) -> None:
    """Drop a question from the index (in the caller's transaction)."""
    _delete_document(db.session.connection(), question_id)


# -- FAQ entries: a second document set, `faq_fts` -----------------------------------------


def _faq_text(search_text: str | None, summary_html: str | None, question_html: str | None,
              answer_html: str | None) -> str:
    """The plain text of an entry: its search_text, or else the text of its curated HTML."""
    if search_text and search_text.strip():
        return search_text
    return "\n".join(html_to_text(h or "") for h in (summary_html, question_html, answer_html))


def _faq_snippet_text(entry: FaqEntry) -> str:
    """The text an FAQ hit's snippet is cut from: its summary, question and answer (not
    search_text, which may repeat the title shown above the snippet)."""
    return " ".join(html_to_text(h[:2 * SNIPPET_SCAN]) for h in
                    (entry.summary_html, entry.question_html, entry.answer_html) if h)


def _faq_document(row) -> dict:
    title, body = _document(row.title, [_faq_text(row.search_text, row.summary_html,
                                                  row.question_html, row.answer_html)])
    return {"id": row.id, "title": title, "body": body}


def index_faq_entry(entry_id: int) -> None:
    """Bring the search document of one FAQ entry up to date (in the caller's transaction).

    Only entries with status "current" are indexed (due entries are current ones past
    their review date); obsolete, withdrawn or missing entries are removed.
    """
    db.session.flush()
    row = db.session.execute(
        select(FaqEntry.id, FaqEntry.title, FaqEntry.status, FaqEntry.search_text,
               FaqEntry.summary_html, FaqEntry.question_html, FaqEntry.answer_html)
        .where(FaqEntry.id == entry_id)).first()
    if row is None or row.status != "current":
        remove_faq_entry(entry_id)
        return
    _write_documents(db.session.connection(), [_faq_document(row)], FAQ_DOCS)


def remove_faq_entry(entry_id: int) -> None:
    """Drop an FAQ entry from the index (in the caller's transaction)."""
    _delete_document(db.session.connection(), entry_id, FAQ_DOCS)


def rebuild_index(connection: Connection | None = None, *, batch_size: int = 500) -> int:
    """Rebuild the whole index (questions with their answers, and current FAQ entries);
    returns how many questions were indexed.

    CLI-ready: `flask search rebuild` should call rebuild_index() and print the count.
    Without `connection` it works in its own unit of work; with one, the caller commits.
    """
    if connection is None:
        with unit_of_work():
            return rebuild_index(db.session.connection(), batch_size=batch_size)
    conn = connection
    index_changed()
    conn.exec_driver_sql("DELETE FROM question_fts")
    done, last_id = 0, 0
    while True:
        batch = conn.execute(sa_text(
            "SELECT id, title, body_text FROM questions WHERE deleted_at IS NULL AND id > :last "
            "ORDER BY id LIMIT :n"), {"last": last_id, "n": batch_size}).all()
        if not batch:
            break
        ids = [r.id for r in batch]
        texts: dict[int, list[str]] = {i: [] for i in ids}
        answers = conn.execute(
            select(literal_column("question_id"), literal_column("body_text"))
            .select_from(sa_table("posts"))
            .where(literal_column("question_id").in_(ids),
                   _is_answer(literal_column("parent_id")),
                   literal_column("deleted_at").is_(None))
            .order_by(literal_column("question_id"), literal_column("created_at"),
                      literal_column("id"))).all()
        for question_id, body_text in answers:
            texts[question_id].append(body_text)
        rows = []
        for r in batch:
            title, body = _document(r.title, [r.body_text, *texts[r.id]])
            rows.append({"id": r.id, "title": title, "body": body})
        _write_documents(conn, rows)
        done += len(batch)
        last_id = ids[-1]
    rebuild_faq_index(conn, batch_size=batch_size)
    return done


def rebuild_faq_index(connection: Connection, *, batch_size: int = 500) -> int:
    """Rebuild the FAQ document set from the current entries (the caller commits); returns
    how many entries were indexed."""
    conn = connection
    conn.exec_driver_sql("DELETE FROM faq_fts")
    entries = sa_table("faq_entries", *(sa_column(c) for c in (
        "id", "title", "status", "search_text", "summary_html", "question_html",
        "answer_html")))
    done, last_id = 0, 0
    while True:
        batch = conn.execute(
            select(entries).where(entries.c.status == "current", entries.c.id > last_id)
            .order_by(entries.c.id).limit(batch_size)).all()
        if not batch:
            break
        _write_documents(conn, [_faq_document(r) for r in batch], FAQ_DOCS)
        done += len(batch)
        last_id = batch[-1].id
    return done


# -- searching ---------------------------------------------------------------------------


@dataclass
class SearchHit:
    """One result: a question (kind "question") or a curated FAQ entry (kind "faq")."""

    question: Question | None
    rank: float
    snippet_html: str
    kind: str = "question"
    entry: FaqEntry | None = None

    @property
    def id(self) -> int:
        return self.entry.id if self.kind == "faq" else self.question.id


@dataclass
class SearchResults:
    items: list[SearchHit]
    total: int
    page: int
    per_page: int
    query: ParsedQuery
    group: Group | None = None  # the group filter, when one was given
    totals: dict[str, int] = field(default_factory=dict)  # matches of each kind searched
    suggestion: str | None = None  # the query with misspelt words corrected

    @property
    def pages(self) -> int:
        """Pages that can be shown: only the best CANDIDATES_MAX matches are ranked."""
        return max(1, -(-min(self.total, CANDIDATES_MAX) // self.per_page))


def _fts_quote(tokens) -> str:
    return '"' + " ".join(tokens) + '"'


def _ts_phrase(tokens) -> str:
    return "(" + " <-> ".join(tokens) + ")" if len(tokens) > 1 else tokens[0]


def _contains(dialect: str, column, tokens) -> object:
    """SQL: the normalised text `column` holds these words in a row (exact words)."""
    needle = " " + " ".join(tokens) + " "
    padded = literal(" ", String) + column + literal(" ", String)
    fn = func.strpos if dialect == "postgresql" else func.instr
    return fn(padded, needle) > 0


def _match_conditions(dialect: str, parsed: ParsedQuery, name: str = "question_fts",
                      key: str = "question_id"):
    """(the fts table `name`, its id column, its rank (smaller is better), conditions).

    `key` is the PostgreSQL table's id column (SQLite's FTS5 tables use their rowid).
    """
    if dialect == "postgresql":
        fts = sa_table(name, sa_column(key), sa_column("title", String),
                       sa_column("body", String), sa_column("document"))
        if parsed.phrases:
            positive = " & ".join(_ts_phrase(p) for p in parsed.phrases)
        else:
            positive = "(" + " | ".join(_ts_phrase(f) for f in parsed.forms) + ")"
        single = [p[0] for p in parsed.excluded if len(p) == 1]
        if single:
            positive += " & !(" + " | ".join(single) + ")"
        query = func.to_tsquery(literal_column("'simple'"), func.tacit_unaccent(positive))
        where = [fts.c.document.op("@@")(query)]
        # tsvector phrases may straddle the title/body seam: check them on the text.
        for phrase in parsed.phrases:
            if len(phrase) > 1:
                where.append(or_(_contains(dialect, fts.c.title, phrase),
                                 _contains(dialect, fts.c.body, phrase)))
        for phrase in parsed.excluded:
            if len(phrase) > 1:
                where.append(~or_(_contains(dialect, fts.c.title, phrase),
                                  _contains(dialect, fts.c.body, phrase)))
        return fts, fts.c[key], -func.ts_rank_cd(fts.c.document, query), where
    fts = sa_table(name, sa_column("rowid"), sa_column("title", String),
                   sa_column("body", String))
    if parsed.phrases:
        positive = " AND ".join(_fts_quote(p) for p in parsed.phrases)
    else:
        positive = "(" + " OR ".join(_fts_quote(f) for f in parsed.forms) + ")"
    if parsed.excluded:
        positive = f"({positive}) NOT (" + " OR ".join(
            _fts_quote(p) for p in parsed.excluded) + ")"
    # bm25() is better when smaller; titles count double.
    rank = func.bm25(literal_column(name), literal(2.0, Float), literal(1.0, Float))
    return fts, fts.c.rowid, rank, [literal_column(name).op("MATCH")(positive)]


def _best_with_documents(dialect: str, fts, key: str, matched, limit: int):
    """The best `limit` rows of the subquery `matched` by engine rank, with the number of
    all matches and the normalised documents of these rows only."""
    # (SQLite refuses bm25() in a query with a window function: hence two levels.)
    best = (
        select(matched.c.id, matched.c.score, matched.c.accepted, matched.c.answers,
               matched.c.created, func.count().over().label("total"))
        .order_by(matched.c.engine_rank, matched.c.id.desc())
        .limit(limit)
        .subquery("best"))
    # The documents are read for these rows only, not for every match.
    docs = fts.alias("docs")
    docs_id = docs.c[key] if dialect == "postgresql" else docs.c.rowid
    return (select(best, docs.c.title.label("doc_title"), docs.c.body.label("doc_body"))
            .select_from(best.join(docs, docs_id == best.c.id)))


def _candidates_statement(dialect: str, user, parsed: ParsedQuery, *, limit: int,
                          group_id=None, tag_name=None, lang=None):
    """The best `limit` matching questions `user` may read, by the engine's own rank, with
    their documents and the number of all matches."""
    fts, fts_id, engine_rank, where = _match_conditions(dialect, parsed)
    where.append(permissions.visible_question_clause(user))
    if group_id is not None:
        where.append(Question.group_id == group_id)
    if lang:
        where.append(Question.lang == lang)
    if tag_name:
        where.append(Question.id.in_(
            select(QuestionTag.question_id).join(Tag, Tag.id == QuestionTag.tag_id)
            .where(Tag.name == tag_name)))
    matched = (
        select(Question.id.label("id"), Question.score.label("score"),
               case((Question.accepted_answer_id.is_not(None), 1), else_=0).label("accepted"),
               Question.answer_count.label("answers"), Question.created_at.label("created"),
               engine_rank.label("engine_rank"))
        .select_from(fts.join(Question, Question.id == fts_id))
        .where(*where)
        .subquery("matched"))
    return _best_with_documents(dialect, fts, "question_id", matched, limit)


def _faq_candidates_statement(dialect: str, user, parsed: ParsedQuery, *, limit: int,
                              group_id=None, tag_name=None, lang=None):
    """The best `limit` matching current FAQ entries `user` may read (entries of private
    groups: members and admins only), by the engine's own rank, as _candidates_statement."""
    fts, fts_id, engine_rank, where = _match_conditions(dialect, parsed, "faq_fts", "entry_id")
    where.append(FaqEntry.status == "current")
    if not permissions.is_admin(user):
        where.append(FaqEntry.group_id.not_in(permissions.hidden_group_ids(user)))
    if group_id is not None:
        where.append(FaqEntry.group_id == group_id)
    if lang:
        where.append(FaqEntry.lang == lang)
    if tag_name:
        where.append(FaqEntry.id.in_(
            select(FaqEntryTag.entry_id).join(Tag, Tag.id == FaqEntryTag.tag_id)
            .where(Tag.name == tag_name)))
    matched = (
        select(FaqEntry.id.label("id"), literal(0).label("score"),
               literal(0).label("accepted"), literal(1).label("answers"),
               FaqEntry.promoted_at.label("created"), engine_rank.label("engine_rank"))
        .select_from(fts.join(FaqEntry, FaqEntry.id == fts_id))
        .where(*where)
        .subquery("matched"))
    return _best_with_documents(dialect, fts, "entry_id", matched, limit)


# Ranking: BM25F over the candidates' normalised documents, in Python, so that both
# databases give the same order. Each group of the query (a word typed with its spellings,
# corrections and completions; or a concept's other terms) scores by its best form:
# weight x idf x saturated term frequency, where the frequency adds the title's (TITLE_WEIGHT
# times, after length normalisation) and the body's (question and answers). idf comes from
# the vocabulary (document counts of the whole index); the average field lengths from the
# candidates. An FAQ entry, an accepted or an answered thread is favoured by a factor;
# then the thread's score and recency break ties.
FAQ_BOOST = 1.15
FAQ_FULL_BOOST = 1.35  # an FAQ entry holding every word typed
ACCEPTED_BOOST = 1.06
ANSWERED_BOOST = 1.03
TITLE_WEIGHT = 4.0
K1 = 1.2
B_TITLE, B_BODY = 0.3, 0.75
COVERAGE = 0.5  # the share of a score that depends on how many groups matched
KINDS = ("question", "faq")


@dataclass(frozen=True)
class _Candidate:
    kind: str
    id: int
    accepted: int
    score: int
    doc_title: str
    doc_body: str
    answers: int = 0
    created: object = None


def _idf(form: tuple[str, ...], vocab, documents: int) -> float:
    df = min((vocab.df.get(w, 0) for w in form), default=0)
    return math.log(1 + (documents - df + 0.5) / (df + 0.5))


def _tf(form: tuple[str, ...], counts: Counter, padded: str) -> int:
    if len(form) == 1:
        return counts.get(form[0], 0)
    if any(w not in counts for w in form):
        return 0
    return padded.count(" " + " ".join(form) + " ")


def _rank(parsed: ParsedQuery, rows) -> list[tuple[float, _Candidate]]:
    """Score candidates (questions and FAQ entries) in Python, the same way whatever the
    database; best first, as (relevance, candidate). See the comment above."""
    if not rows:
        return []
    groups = parsed.groups
    typed = len(parsed.ranked_terms)  # the first groups: one per word typed
    vocab = parsed.expansion and vocabulary()
    documents = max(vocab.documents if vocab else len(rows), len(rows))
    df_source = vocab if vocab else _CandidateCounts(rows, groups)
    idf = [{form: _idf(form, df_source, documents) for form in group} for group in groups]
    docs = []
    for row in rows:
        title, body = row.doc_title.split(), row.doc_body.split()
        docs.append((row, Counter(title), f" {row.doc_title} ", len(title),
                     Counter(body), f" {row.doc_body} ", len(body)))
    avg_title = sum(d[3] for d in docs) / len(docs) or 1.0
    avg_body = sum(d[6] for d in docs) / len(docs) or 1.0
    keyed = []
    for row, t_counts, t_text, t_len, b_counts, b_text, b_len in docs:
        t_norm = 1 - B_TITLE + B_TITLE * t_len / avg_title
        b_norm = 1 - B_BODY + B_BODY * b_len / avg_body
        total, matched, typed_matched = 0.0, 0, 0
        for number, (group, group_idf) in enumerate(zip(groups, idf, strict=True)):
            best = 0.0
            for form, weight in group.items():
                tf = (TITLE_WEIGHT * _tf(form, t_counts, t_text) / t_norm
                      + _tf(form, b_counts, b_text) / b_norm)
                if tf:
                    best = max(best, weight * group_idf[form] * tf * (K1 + 1) / (tf + K1))
            total += best
            matched += best > 0
            typed_matched += best > 0 and number < typed
        total *= 1 - COVERAGE + COVERAGE * matched / len(groups)
        if row.kind == "faq":
            total *= FAQ_FULL_BOOST if typed_matched == typed else FAQ_BOOST
        elif row.accepted:
            total *= ACCEPTED_BOOST
        elif row.answers:
            total *= ANSWERED_BOOST
        total = round(total, 6)
        keyed.append(((total, row.kind == "faq", row.accepted, row.score,
                       _timestamp(row.created), row.id), row))
    keyed.sort(key=lambda x: x[0], reverse=True)
    return [(key[0], row) for key, row in keyed]


def _timestamp(value) -> float:
    if value is None:
        return 0.0
    if isinstance(value, str):  # SQLite through a text() statement
        return datetime.fromisoformat(value).timestamp()
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.timestamp()


class _CandidateCounts:
    """Document counts among the candidates (for queries ranked without a vocabulary)."""

    def __init__(self, rows, groups) -> None:
        self.df: dict[str, int] = {}
        wanted = {w for group in groups for form in group for w in form}
        for row in rows:
            for word in wanted.intersection(f"{row.doc_title} {row.doc_body}".split()):
                self.df[word] = self.df.get(word, 0) + 1


def _ranked_ids(user, parsed: ParsedQuery, *, limit: int, offset: int = 0,
                kinds=("question",), **filters):
    """[(kind, id, relevance)] of one page, and {kind: number of matches}."""
    dialect = _dialect(db.session.get_bind())
    pool = min(max(CANDIDATES, offset + limit), CANDIDATES_MAX)
    candidates: list[_Candidate] = []
    totals: dict[str, int] = {}
    for kind in KINDS:
        if kind not in kinds:
            continue
        statement = _candidates_statement if kind == "question" else _faq_candidates_statement
        rows = db.session.execute(statement(dialect, user, parsed, limit=pool, **filters)).all()
        totals[kind] = int(rows[0].total) if rows else 0
        candidates.extend(_Candidate(kind, r.id, int(r.accepted), int(r.score), r.doc_title,
                                     r.doc_body, int(r.answers), r.created) for r in rows)
    ranked = _rank(parsed, candidates)
    return [(row.kind, row.id, round(score, 6))
            for score, row in ranked[offset:offset + limit]], totals


def _load_entries(ids: list[int]) -> dict[int, FaqEntry]:
    if not ids:
        return {}
    found = db.session.scalars(
        select(FaqEntry).where(FaqEntry.id.in_(ids))
        .options(joinedload(FaqEntry.group), selectinload(FaqEntry.tags))).unique().all()
    return {e.id: e for e in found}


def _load_questions(ids: list[int]) -> dict[int, Question]:
    if not ids:
        return {}
    found = db.session.scalars(
        select(Question).where(Question.id.in_(ids))
        .options(joinedload(Question.author), joinedload(Question.group),
                 selectinload(Question.tags))).unique().all()
    return {q.id: q for q in found}


SNIPPET_SCAN = 20_000  # characters of a text looked at for a snippet


@lru_cache(maxsize=65_536)
def _forms(token: str) -> frozenset[str]:
    """The index forms of one word as written (usually one)."""
    return frozenset(stem(w) for w in words(token))


def _plain(text: str | None) -> str:
    """NFC text with whitespace collapsed, cut at SNIPPET_SCAN characters."""
    return " ".join(unicodedata.normalize("NFC", (text or "")[:SNIPPET_SCAN]).split())


class _Highlighter:
    """Finds the query's words in texts as written; one per search, so work is shared."""

    def __init__(self, highlight: frozenset[str]) -> None:
        self.highlight = highlight
        self.known: dict[str, frozenset[str]] = {}
        self._pattern: re.Pattern | None = None

    def found(self, text: str) -> dict[str, frozenset[str]]:
        """{word as written: the query words it stands for} for the matching words of text."""
        found = {}
        for token in set(_WORD.findall(text)):
            forms = self.known.get(token)
            if forms is None:
                forms = self.known[token] = _forms(token) & self.highlight
                if forms:
                    self._pattern = None
            if forms:
                found[token] = forms
        return found

    def pattern(self) -> re.Pattern:
        if self._pattern is None:
            words_found = sorted((w for w, f in self.known.items() if f), key=len, reverse=True)
            self._pattern = re.compile(r"(?<![^\W_])(?:" + "|".join(map(re.escape, words_found))
                                       + r")(?![^\W_])")
        return self._pattern

    def snippet(self, text: str, found: dict[str, frozenset[str]], *,
                size: int = SNIPPET_CHARS) -> str:
        """Escaped HTML of the stretch of `text` (already _plain) with most query words."""
        start = 0
        if found:
            hits = [(m.start(), found[m.group()]) for m in self.pattern().finditer(text)
                    if m.group() in found][:200]
            best = 0
            for anchor, _forms_here in hits:
                lo = max(0, anchor - size // 4)
                distinct = set().union(*(f for pos, f in hits if lo <= pos < lo + size - 15))
                if len(distinct) > best:
                    best, start = len(distinct), lo
        end = min(len(text), start + size)
        if start > 0:
            start = text.rfind(" ", 0, start) + 1  # do not cut the first word
        if end < len(text):
            space = text.rfind(" ", start, end)
            end = space if space > start + size // 2 else end
        window = text[start:end]
        if found:
            # Mark with control characters (never in body_text), escape, then make them tags.
            window = self.pattern().sub("\x01\\g<0>\x02", window)
        snippet = html.escape(window).replace("\x01", "<mark>").replace("\x02", "</mark>")
        return ("… " if start > 0 else "") + snippet + (" …" if end < len(text) else "")


def snippet_html(text: str, highlight: frozenset[str], *, size: int = SNIPPET_CHARS) -> str:
    """Escaped HTML of the stretch of `text` with the most query words, each in <mark>."""
    marker = _Highlighter(highlight)
    plain = _plain(text)
    return marker.snippet(plain, marker.found(plain), size=size)


def _snippets(questions: list[Question], highlight: frozenset[str],
              marker: _Highlighter | None = None) -> dict[int, str]:
    """A snippet per question: from its body, or else from its best matching answer."""
    marker = marker or _Highlighter(highlight)
    result: dict[int, str] = {}
    pending: dict[int, str] = {}
    for question in questions:
        plain = _plain(question.body_text)
        found = marker.found(plain)
        if found:
            result[question.id] = marker.snippet(plain, found)
        else:
            pending[question.id] = plain
    if pending:
        best: dict[int, tuple[int, str, dict]] = {}
        rows = db.session.execute(
            select(Post.question_id, Post.body_text)
            .where(Post.question_id.in_(list(pending)), _is_answer(Post.parent_id),
                   Post.deleted_at.is_(None), Post.hidden_at.is_(None))
            .order_by(Post.question_id, Post.created_at, Post.id)).all()
        for question_id, body_text in rows:
            plain = _plain(body_text)
            found = marker.found(plain)
            hits = len(frozenset().union(*found.values()))
            if hits and hits > best.get(question_id, (0,))[0]:
                best[question_id] = (hits, plain, found)
        for question_id, plain in pending.items():
            if question_id in best:
                result[question_id] = marker.snippet(*best[question_id][1:])
            else:
                result[question_id] = marker.snippet(plain, {})
    return result


def _clean_filters(user, q, group, tag, lang, page, per_page) -> tuple[dict, Group | None]:
    errors: dict = {}
    if not isinstance(q, str) or not q.strip():
        errors["q"] = _("Type the words to look for.")
    elif len(q) > QUERY_MAX:
        errors["q"] = _("Use at most %(n)d characters.", n=QUERY_MAX)
    if lang not in (None, "") and lang not in LANGUAGES:
        errors["lang"] = _("Choose English (en) or French (fr).")
    tag_name = None
    if tag not in (None, ""):
        tag_name = clean_tag_name(tag.lower() if isinstance(tag, str) else tag)
        if tag_name is None:
            errors["tag"] = _("Not a valid tag.")
        else:
            tag_name = canonical_tag_names([tag_name])[0]
    for name, value, top in (("page", page, None), ("per_page", per_page, PER_PAGE_MAX)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            errors[name] = _("Must be at least 1.")
        elif top is not None and value > top:
            errors[name] = _("At most %(n)d.", n=top)
    if errors:
        raise InvalidInput(fields=errors)
    filters: dict = {"tag_name": tag_name, "lang": lang or None, "group_id": None}
    group_obj = None
    if group not in (None, ""):
        # (A NUL byte would make PostgreSQL fail: no slug has one anyway.)
        group_obj = db.session.scalar(select(Group).where(Group.slug == group)) \
            if isinstance(group, str) and len(group) <= 100 and "\x00" not in group else None
        if group_obj is None or not permissions.can_view_group(user, group_obj):
            raise NotFound(_("No such group."))
        filters["group_id"] = group_obj.id
    return filters, group_obj


def check_query(user, q, *, group=None, tag=None, lang=None, page=1, per_page=20):
    """Validate a search without running it: (parsed query, filters, group).

    Raises InvalidInput (fields q, tag, lang, page, per_page) and NotFound for a group the
    user may not see.
    """
    filters, group_obj = _clean_filters(user, q, group, tag, lang, page, per_page)
    parsed = parse_query(q)
    if parsed.empty:
        raise InvalidInput(fields={"q": _("Type at least one word to look for.")})
    return parsed, filters, group_obj


def expand_query(q: str, parsed: ParsedQuery, *, prefix: bool = True) -> ParsedQuery:
    """Add to `parsed` what its words also stand for (spellings, typo corrections, the last
    word's completions, thesaurus concepts): see forum/services/search_expand.py."""
    parsed.expansion = expand(q, parsed.ranked_terms, prefix=prefix)
    return parsed


def suggestion(q: str, parsed: ParsedQuery) -> str | None:
    """The query with its misspelt words corrected ("did you mean"), or None."""
    corrections = parsed.expansion.corrections if parsed.expansion else {}
    if not corrections:
        return None
    return _WORD.sub(lambda m: corrections.get(fold(m.group()), m.group()), q)


def _types(types) -> tuple[str, ...]:
    if isinstance(types, str):
        types = (types,)
    chosen = tuple(k for k in KINDS if k in set(types or ()))
    if not chosen or not set(types) <= set(KINDS):
        raise InvalidInput(fields={"type": _("Choose among question and faq.")})
    return chosen


def search(user, q, *, group=None, tag=None, lang=None, page=1, per_page=20,
           types=KINDS) -> SearchResults:
    """Questions and current FAQ entries `user` may read that match `q`, best first, one
    page of them (an FAQ entry before the threads matching as many of the words).

    `q` takes words (partial matches count, ranked), "exact phrases" (required) and
    -excluded words or -"phrases"; `types` is some of ("question", "faq"). Raises
    InvalidInput (fields q, tag, lang, page, per_page, type) and NotFound for a group the
    user may not see.
    """
    kinds = _types(types)
    parsed, filters, group_obj = check_query(user, q, group=group, tag=tag, lang=lang,
                                             page=page, per_page=per_page)
    expand_query(q, parsed)
    ranked, totals = _ranked_ids(user, parsed, limit=per_page, offset=(page - 1) * per_page,
                                 kinds=kinds, **filters)
    questions = _load_questions([i for k, i, _r in ranked if k == "question"])
    entries = _load_entries([i for k, i, _r in ranked if k == "faq"])
    page_questions = [questions[i] for k, i, _r in ranked if k == "question" and i in questions]
    marker = _Highlighter(parsed.highlight)
    snippets = _snippets(page_questions, parsed.highlight, marker)
    items = []
    for kind, i, r in ranked:
        if kind == "question" and i in questions:
            items.append(SearchHit(question=questions[i], rank=r, snippet_html=snippets[i]))
        elif kind == "faq" and i in entries:
            plain = _plain(_faq_snippet_text(entries[i]))
            items.append(SearchHit(question=None, rank=r, kind="faq", entry=entries[i],
                                   snippet_html=marker.snippet(plain, marker.found(plain))))
    return SearchResults(items=items, total=sum(totals.values()), page=page,
                         per_page=per_page, query=parsed, group=group_obj, totals=totals,
                         suggestion=suggestion(q, parsed))


def similar_questions(user, title: str, *, limit: int = 5) -> list:
    """Up to `limit` visible questions that look like `title`, best first (never raises)."""
    if not isinstance(title, str) or not title.strip():
        return []
    parsed = parse_query(title[:QUERY_MAX], operators=False)
    if parsed.empty:
        return []
    expand_query(title[:QUERY_MAX], parsed, prefix=False)
    limit = max(1, min(int(limit), PER_PAGE_MAX))
    ranked, _totals = _ranked_ids(user, parsed, limit=limit)
    questions = _load_questions([i for _k, i, _r in ranked])
    return [questions[i] for _k, i, _r in ranked if i in questions]
