"""GET /api/openapi.json: the OpenAPI 3.1 description of every /api/v1 route."""

from flask import jsonify

from forum.api import bp


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
    {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1, "default": 1}},
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

USER_SCHEMA = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "username": {"type": "string"},
        "display_name": {"type": "string"},
        "role": {"enum": ["member", "expert", "moderator", "admin"]},
        "bio_html": {"type": "string"},
        "region": {"type": "string"},
        "country": {"type": "string"},
        "organization": {"type": "string"},
        "languages": {"type": "array", "items": {"type": "string"}},
        "expertise": {"type": "array", "items": {"type": "string"}},
        "reputation": {"type": "integer"},
        "verified_expert": {"type": "boolean"},
        "created_at": {"type": "string", "format": "date-time"},
        "email": {"type": "string", "description": "only to the user themself"},
        "bio": {"type": "string", "description": "Markdown source; only to the user themself"},
    },
    "required": ["id", "username", "display_name", "role", "created_at"],
}

ERROR_SCHEMA = {
    "type": "object",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "code": {
                    "enum": [
                        "bad_request", "unauthorized", "forbidden", "not_found",
                        "method_not_allowed", "conflict", "too_large", "invalid",
                        "rate_limited", "internal",
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

USERNAME_PARAM = {"name": "username", "in": "path", "required": True, "schema": {"type": "string"}}

PATHS = {
    "/api/v1/users": {
        "post": {
            "summary": "Register an account",
            "requestBody": _body(
                {
                    "username": {"type": "string", "pattern": "^[A-Za-z0-9_-]{3,30}$"},
                    "email": {"type": "string", "format": "email"},
                    "password": {"type": "string", "minLength": 8, "maxLength": 128},
                    "display_name": {"type": "string", "maxLength": 80},
                },
                ["username", "email", "password"],
            ),
            "responses": {
                "201": _json("User", "Created"),
                "409": _error_response("Username or email in use (conflict)"),
                **ERRORS,
            },
        }
    },
    "/api/v1/tokens": {
        "post": {
            "summary": "Log in: get an API token (login is a username or an email, any case)",
            "requestBody": _body(
                {"login": {"type": "string"}, "password": {"type": "string"}},
                ["login", "password"],
            ),
            "responses": {"201": _json("Token", "Created"), **AUTH_ERRORS, **ERRORS},
        }
    },
    "/api/v1/tokens/current": {
        "delete": {
            "summary": "Revoke the token of this request",
            "security": SECURED,
            "responses": {"204": {"description": "Revoked"}, **AUTH_ERRORS},
        }
    },
    "/api/v1/me": {
        "get": {
            "summary": "The token's user, with email",
            "security": SECURED,
            "responses": {"200": _json("User"), **AUTH_ERRORS},
        }
    },
    "/api/v1/users/{username}": {
        "get": {
            "summary": "A user's public profile",
            "parameters": [USERNAME_PARAM],
            "responses": {"200": _json("User"), "404": _error_response("No such user")},
        },
        "patch": {
            "summary": "Change profile fields (the user themself or an administrator)",
            "security": SECURED,
            "parameters": [USERNAME_PARAM],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "properties": {
                                "display_name": {"type": "string", "maxLength": 80},
                                "bio": {"type": "string", "maxLength": 5000,
                                        "description": "Markdown; answered as bio_html"},
                                "region": {"type": "string", "maxLength": 80},
                                "country": {"type": "string", "maxLength": 80},
                                "organization": {"type": "string", "maxLength": 120},
                                "languages": {"type": "array", "maxItems": 10,
                                              "items": {"type": "string", "maxLength": 40}},
                                "expertise": {"type": "array", "maxItems": 20,
                                              "items": {"type": "string", "maxLength": 60}},
                            },
                            "additionalProperties": False,
                        }
                    }
                },
            },
            "responses": {
                "200": _json("User"),
                "403": _error_response("Not this user nor an administrator"),
                "404": _error_response("No such user"),
                **AUTH_ERRORS,
                **ERRORS,
            },
        },
    },
    "/api/v1/users/{username}/role": {
        "put": {
            "summary": "Grant a role (administrators only)",
            "security": SECURED,
            "parameters": [USERNAME_PARAM],
            "requestBody": _body(
                {"role": {"enum": ["member", "expert", "moderator", "admin"]}}, ["role"]
            ),
            "responses": {
                "200": _json("User"),
                "403": _error_response("Not an administrator"),
                "404": _error_response("No such user"),
                "409": _error_response("An administrator cannot demote themself"),
                **AUTH_ERRORS,
                **ERRORS,
            },
        }
    },
}


def all_paths() -> dict:
    """The accounts paths above plus each API module's OPENAPI_PATHS."""
    from forum.api import chat, groups, qa, search

    paths = dict(PATHS)
    for module in (groups, qa, search, chat):
        paths.update(getattr(module, "OPENAPI_PATHS", {}))
    return paths


def all_schemas() -> dict:
    """Shared schemas plus each API module's OPENAPI_SCHEMAS."""
    from forum.api import chat, groups, qa, search

    schemas: dict = {}
    for module in (groups, qa, search, chat):
        schemas.update(getattr(module, "OPENAPI_SCHEMAS", {}))
    return schemas


def build_spec() -> dict:
    """The whole OpenAPI 3.1 document."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Tacit API",
            "version": "1",
            "description": "JSON API of Tacit, a community-of-practice forum. "
            "Errors always have the shape of the Error schema.",
        },
        "servers": [{"url": "/"}],
        "paths": all_paths(),
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "User": USER_SCHEMA,
                "Error": ERROR_SCHEMA,
                "Token": {
                    "type": "object",
                    "properties": {
                        "token": {"type": "string"},
                        "expires_at": {"type": "string", "format": "date-time"},
                        "user": {"$ref": "#/components/schemas/User"},
                    },
                    "required": ["token", "expires_at", "user"],
                },
                **all_schemas(),
                "Page": {
                    "type": "object",
                    "properties": {
                        "items": {"type": "array"},
                        "page": {"type": "integer", "minimum": 1},
                        "per_page": {"type": "integer", "minimum": 1, "maximum": 100},
                        "total": {"type": "integer", "minimum": 0},
                    },
                    "required": ["items", "page", "per_page", "total"],
                },
            },
        },
    }


@bp.get("/openapi.json")
def openapi_json():
    return jsonify(build_spec())
