"""hit@1, hit@5 and MRR of the search service on the evaluation queries, per kind."""

from dataclasses import dataclass, field

from sqlalchemy import select

from forum.extensions import db
from forum.models import FaqEntry, User
from forum.services import search
from tests.search_eval.queries import KINDS, queries

DEPTH = 10  # results looked at per query (MRR counts a target found within them)


@dataclass
class Scores:
    """Sums over the queries of one kind."""

    n: int = 0
    hit1: int = 0
    hit5: int = 0
    rr: float = 0.0
    misses: list = field(default_factory=list)  # (query, rank or None) when not first

    def add(self, query: str, rank: int | None) -> None:
        self.n += 1
        self.hit1 += rank == 1
        self.hit5 += rank is not None and rank <= 5
        self.rr += 1 / rank if rank else 0.0
        if rank != 1:
            self.misses.append((query, rank))

    def row(self) -> tuple[float, float, float]:
        return (self.hit1 / self.n, self.hit5 / self.n, self.rr / self.n) if self.n \
            else (0.0, 0.0, 0.0)


def evaluate(ids: dict[str, int]) -> dict[str, Scores]:
    """Run every query as the admin (who reads every group); {kind: Scores} plus "all".

    A result counts for a thread when it is the thread or an FAQ entry promoted from it.
    """
    admin = db.session.scalar(select(User).where(User.username == "admin"))
    faq_source = dict(db.session.execute(select(FaqEntry.id, FaqEntry.question_id)).all())
    scores = {kind: Scores() for kind in (*KINDS, "all")}
    for kind, q, title in queries():
        target = ids[title]
        found = search.search(admin, q, per_page=DEPTH)
        rank = None
        for position, hit in enumerate(found.items, 1):
            source = hit.question.id if hit.kind == "question" else faq_source.get(hit.entry.id)
            if source == target:
                rank = position
                break
        scores[kind].add(q, rank)
        scores["all"].add(q, rank)
    return scores


def table(scores: dict[str, Scores], *, title: str = "") -> str:
    """A Markdown table of the scores."""
    lines = [f"{title}\n" if title else "",
             "| kind | queries | hit@1 | hit@5 | MRR |", "|---|---:|---:|---:|---:|"]
    for kind, s in scores.items():
        h1, h5, mrr = s.row()
        lines.append(f"| {kind} | {s.n} | {h1:.2f} | {h5:.2f} | {mrr:.2f} |")
    return "\n".join(line for line in lines if line) + "\n"
