"""GET /api/openapi.json describes every /api/v1 route the app registers, and API.md's routes."""

import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.dbless  # the same on every database: SQLite pass only

API_MD = Path(__file__).resolve().parents[1] / "docs" / "api.md"


def registered_routes(app):
    found = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            found.add((method.lower(), path))
    return found


def test_openapi_is_3_1_and_describes_every_registered_route(app, anon_client):
    response = anon_client.get("/api/openapi.json")
    assert response.status_code == 200
    spec = response.get_json()
    assert spec["openapi"].startswith("3.1")
    described = {(method, path) for path, ops in spec["paths"].items() for method in ops}
    missing = registered_routes(app) - described
    assert not missing, f"routes missing from openapi.json: {sorted(missing)}"
    stale = described - registered_routes(app)
    assert not stale, f"openapi.json describes routes that do not exist: {sorted(stale)}"


def test_every_response_and_schema_reference_resolves(anon_client):
    spec = anon_client.get("/api/openapi.json").get_json()
    refs = re.findall(r'"\$ref": "#/components/schemas/([A-Za-z]+)"',
                      anon_client.get("/api/openapi.json").get_data(as_text=True).replace(
                          '":"', '": "'))
    for name in refs:
        assert name in spec["components"]["schemas"], name
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            assert operation["responses"], (method, path)
            params = set(re.findall(r"{(\w+)}", path))
            declared = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
            assert params == declared, (method, path)


def test_built_routes_of_api_md_are_registered(app):
    """Every route docs/api.md lists whose path the app serves is registered with that
    method."""
    listed = set()
    for method, path in re.findall(r"^\| (GET|POST|PUT|PATCH|DELETE) (/api/v1/[^ |?]+)",
                                   API_MD.read_text(), re.M):
        listed.add((method.lower(), path))
    registered = registered_routes(app)
    built_paths = {path for _m, path in registered}
    for method, path in listed:
        if path in built_paths:
            assert (method, path) in registered, (method, path)
    # The accounts part of the contract is built now.
    for route in [("post", "/api/v1/users"), ("post", "/api/v1/users/confirm"),
                  ("post", "/api/v1/tokens"),
                  ("delete", "/api/v1/tokens/current"), ("get", "/api/v1/me"),
                  ("get", "/api/v1/users/{username}"),
                  ("patch", "/api/v1/users/{username}"), ("put", "/api/v1/users/{username}/role")]:
        assert route in registered, route
