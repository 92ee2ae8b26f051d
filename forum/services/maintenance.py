"""Maintenance work run from the command line: re-rendering stored Markdown."""

from sqlalchemy import select, text

from forum.extensions import db
from forum.markup import MARKUP_VERSION, mentioned_names, render_markdown
from forum.models import Group, Post, Question, User
from forum.services import faq, search, site
from forum.services.notifications import mentions_of_names
from forum.services.uow import unit_of_work

# (model, source column, html column, text column or None, version column)
RENDERED = [
    (Question, "body_source", "body_html", "body_text", "markup_version"),
    (Post, "body_source", "body_html", "body_text", "markup_version"),
    (Group, "description_source", "description_html", None, "markup_version"),
    (User, "bio_source", "bio_html", None, "bio_markup_version"),
]


def database_answers() -> None:
    """Run a trivial query and end its transaction (/health); raises if the database
    does not answer."""
    db.session.execute(text("SELECT 1"))
    db.session.rollback()


def rerender_markup(*, batch: int = 500, force: bool = False) -> int:
    """Re-render every stored body older than MARKUP_VERSION (all with force), FAQ entries
    included; returns how many.

    Works in batches by id, one unit of work each, so memory stays flat and no
    transaction holds the write lock for long on a large forum; search documents of
    re-rendered questions and answers are refreshed too.
    """
    changed = 0
    for model, source, html_col, text_col, version_col in RENDERED:
        last_id = 0
        while True:
            stmt = select(model).where(model.id > last_id).order_by(model.id).limit(batch)
            if not force:
                # Empty sources (most bios) render to nothing whatever the version.
                stmt = stmt.where(getattr(model, version_col) < MARKUP_VERSION,
                                  getattr(model, source) != "")
            with unit_of_work():
                rows = db.session.scalars(stmt).all()
                if not rows:
                    break
                questions = set()
                # Question and post bodies link their @mentions: one lookup per batch.
                links = mentions_of_names({name for row in rows
                                           for name in mentioned_names(getattr(row, source))}
                                          ).links if model in (Question, Post) else None
                for row in rows:
                    rendered = render_markdown(getattr(row, source) or "", mentions=links)
                    setattr(row, html_col, rendered.html)
                    if text_col:
                        setattr(row, text_col, rendered.text)
                    setattr(row, version_col, rendered.version)
                    if model is Question:
                        questions.add(row.id)
                    elif model is Post and row.parent_id is None:
                        questions.add(row.question_id)
                    changed += 1
                for question_id in questions:
                    search.index_question(question_id)
                last_id = rows[-1].id
    changed += site.rerender_welcome(force=force)  # the home page's welcome texts
    # FAQ entries keep their own curated copies (summary, question, answer).
    changed += faq.rerender_entries(batch=batch, force=force)
    return changed
