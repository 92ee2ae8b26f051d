"""Building blocks of the OpenAPI document, and the registry it is built from.

Each endpoint module describes its own routes and schemas next to them, and registers them
here when it is imported (`describe(paths=..., schemas=...)`); forum.api.openapi serves what
was registered. This module imports no endpoint module, so every one of them may import it.
"""

from forum.services.paging import MAX_PAGE


def _error_response(description: str) -> dict:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def _json(schema_ref: str, description: str = "OK") -> dict:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema_ref}"}}},
    }


def _body(properties: dict, required: list[str]) -> dict:
    return {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "properties": properties,
                    "required": required,
                    "additionalProperties": False,
                }
            }
        },
    }


ERRORS = {
    "400": _error_response("Not JSON, or the wrong shape (bad_request)"),
    "413": _error_response("Body too large (too_large)"),
    "422": _error_response("Field validation failed (invalid), with `fields`"),
    "429": _error_response("Rate limited (rate_limited), with Retry-After"),
}
AUTH_ERRORS = {"401": _error_response("No, expired or revoked token (unauthorized)")}

# Shared by every API module's OPENAPI_PATHS.
PAGE_PARAMS = [
    {"name": "page", "in": "query",
     "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 1}},
    {"name": "per_page", "in": "query",
     "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 20}},
]
OPTIONAL_AUTH = [{}, {"bearer": []}]
BAD_TOKEN = _error_response("A bearer token was sent but is unknown, expired or revoked")
INVALID = _error_response("Field validation failed (invalid), with `fields`")
BODY_ERRORS = {
    "400": _error_response("Not JSON, or the wrong shape (bad_request)"),
    "413": _error_response("Body too large (too_large)"),
    "422": INVALID,
}
SECURED = [{"bearer": []}]


# -- the registry -----------------------------------------------------------------------

PATHS: dict[str, dict] = {}
SCHEMAS: dict[str, dict] = {}


def describe(*, paths: dict, schemas: dict | None = None) -> None:
    """Add an endpoint module's paths and component schemas to the document.

    Called once per module, at import. Describing a path or a schema a second time with
    different content is a mistake (two modules claiming one route): ValueError.
    """
    for registry, entries in ((PATHS, paths), (SCHEMAS, schemas or {})):
        for name, value in entries.items():
            if registry.get(name, value) != value:
                raise ValueError(f"OpenAPI: {name} is described twice")
        registry.update(entries)
