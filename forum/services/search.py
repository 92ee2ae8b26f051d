"""Full-text search (placeholder until the search engine lands: keeps the interface)."""


def index_question(question_id: int) -> None:
    """Bring the search document of one question (title, body, answers) up to date."""


def remove_question(question_id: int) -> None:
    """Drop a question from the index."""


def similar_questions(user, title: str, *, limit: int = 5) -> list:
    """Up to `limit` visible questions that look like `title`, best first."""
    return []
