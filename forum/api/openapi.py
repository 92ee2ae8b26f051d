"""GET /api/openapi.json: the OpenAPI 3.1 description of every /api/v1 route.

The paths and schemas come from the endpoint modules, which register them in forum.api.spec
when they are imported (forum/api/__init__.py imports them all); this module adds the
document's frame and the schemas every response shares.
"""

from flask import jsonify

from forum.api import bp, spec

ERROR_SCHEMA = {
    "type": "object",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "code": {
                    "enum": [
                        "bad_request", "unauthorized", "forbidden", "not_found",
                        "method_not_allowed", "conflict", "gone", "too_large", "invalid",
                        "rate_limited", "too_many_connections", "internal",
                    ]
                },
                "message": {"type": "string"},
                "fields": {"type": "object", "additionalProperties": {"type": "string"}},
            },
            "required": ["code", "message"],
        }
    },
    "required": ["error"],
}

PAGE_SCHEMA = {
    "type": "object",
    "properties": {
        "items": {"type": "array"},
        "page": {"type": "integer", "minimum": 1},
        "per_page": {"type": "integer", "minimum": 1, "maximum": 100},
        "total": {"type": "integer", "minimum": 0},
    },
    "required": ["items", "page", "per_page", "total"],
}


def build_spec() -> dict:
    """The whole OpenAPI 3.1 document: what the endpoint modules registered in a frame."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Tacit API",
            "version": "1",
            "description": "JSON API of Tacit, a community-of-practice forum. "
            "Errors always have the shape of the Error schema.",
        },
        "servers": [{"url": "/"}],
        "paths": dict(spec.PATHS),
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {"Error": ERROR_SCHEMA, **spec.SCHEMAS, "Page": PAGE_SCHEMA},
        },
    }


@bp.get("/openapi.json")
def openapi_json():
    return jsonify(build_spec())
