"""One page of a read helper's select(): the pagination of the pages and of the JSON API."""

from dataclasses import dataclass

from sqlalchemy import func, select

from forum.extensions import db

MAX_PAGE = 100_000  # keeps OFFSET within range on every database


@dataclass
class Page:
    """The rows of one page, and whether another page follows."""

    items: list
    page: int
    per_page: int
    has_next: bool
    total: int | None = None  # only when counted


def fetch_page(stmt, *, page: int, per_page: int, rows: bool = False,
               count: bool = False) -> Page:
    """Run a select() for page `page` (from 1) of `per_page` rows: models, or with `rows`
    whole result rows (a select() of several columns).

    Without `count`, one query plus the statement's eager loads however large the forum: it
    asks for one row more than it shows to know whether a next page exists, rather than
    counting every matching row (an O(rows) scan on each page view). With `count`, a count
    query first, for clients that show a total.
    """
    offset = (page - 1) * per_page
    total = None
    if count:
        total = db.session.scalar(
            select(func.count()).select_from(stmt.order_by(None).subquery()))
    limited = stmt.limit(per_page if count else per_page + 1).offset(offset)
    found = db.session.execute(limited).all() if rows else db.session.scalars(limited).all()
    has_next = offset + per_page < total if count else len(found) > per_page
    return Page(items=list(found[:per_page]), page=page, per_page=per_page,
                has_next=has_next, total=total)
