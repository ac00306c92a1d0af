"""The OpenAPI schema documents every API endpoint and generates without a single warning."""

import re

import yaml
from django.core.management import call_command
from django.urls import reverse

from tests.checks import project_routes


def test_schema_validates_with_zero_warnings(tmp_path):
    target = tmp_path / "schema.yaml"
    # --fail-on-warn raises on any warning (an undocumented response, a guessed type, a name collision).
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    schema = yaml.safe_load(target.read_text())
    assert schema["info"]["title"] == "Throughline API"
    assert {"tokenAuth", "cookieAuth"} <= set(schema["components"]["securitySchemes"])


def test_every_api_url_is_in_the_schema(tmp_path):
    # The routes come from the URL resolver (every route a DRF view of one of our apps serves), so an app
    # or API module added later is checked without editing this test; and the schema lists nothing else.
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--file", str(target))
    paths = yaml.safe_load(target.read_text())["paths"]
    api_routes = [route for route in project_routes() if route.is_api]
    assert len(api_routes) >= 40
    assert {route.namespace for route in api_routes} >= {"accounts-api", "journeys-api"}
    documented = {re.sub(r"\{\w+\}", "{}", path): operations for path, operations in paths.items()}
    served = {}
    for route in api_routes:
        path = "/" + re.sub(r"<[\w:]+>", "{}", route.route)
        assert path in documented, f"{route.route} ({route.name}) is not in the schema"
        served[path] = route
    assert set(documented) == set(served), f"documented but not served: {set(documented) - set(served)}"
    for path, route in served.items():
        # Every method the view answers is documented, and nothing else (HEAD and OPTIONS are implicit).
        methods = {m.lower() for m in route.allowed_methods} - {"head", "options"}
        operations = set(documented[path]) - {"parameters", "summary", "description", "servers"}
        assert operations == methods, f"{path}: documents {sorted(operations)}, serves {sorted(methods)}"


def test_conflicts_and_bad_input_are_documented(tmp_path):
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--file", str(target))
    schema = yaml.safe_load(target.read_text())
    patch = schema["paths"]["/api/v1/cards/{id}/"]["patch"]
    assert {"200", "400", "403", "404", "409"} <= set(patch["responses"])
    conflict = patch["responses"]["409"]["content"]["application/json"]["schema"]["$ref"]
    assert conflict.endswith("/CardConflict")
    required = patch["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    assert "expected_version" in schema["components"]["schemas"][required]["required"]


def test_swagger_ui_is_served_without_a_cdn(client):
    response = client.get(reverse("api-docs"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html
    assert "cdn.jsdelivr" not in html and "unpkg.com" not in html


def _schema(tmp_path):
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--file", str(target))
    return yaml.safe_load(target.read_text())


def test_every_list_documents_checked_pagination(tmp_path):
    schema = _schema(tmp_path)
    lists = [
        (path, operation)
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
        if method == "get" and any(p["name"] == "limit" for p in operation.get("parameters", []))
    ]
    assert len(lists) >= 5
    for path, operation in lists:
        params = {p["name"]: p["schema"] for p in operation["parameters"]}
        assert params["limit"] == {"type": "integer", "minimum": 1, "maximum": 500}, path
        assert params["offset"] == {"type": "integer", "minimum": 0, "maximum": 1_000_000_000}, path
        assert "400" in operation["responses"], path


def test_error_answers_are_documented_with_their_bodies(tmp_path):
    schema = _schema(tmp_path)
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if method == "parameters":
                continue
            responses = operation["responses"]
            params = operation.get("parameters", [])
            where = f"{method.upper()} {path}"
            if any(p["in"] == "path" for p in params):
                assert "404" in responses, where
            if "requestBody" in operation or any(p["in"] == "query" for p in params):
                assert "400" in responses, where
            if {} not in operation.get("security", [{}]):
                assert "401" in responses, where
            for code, response in responses.items():
                if code.startswith("4"):
                    assert "application/json" in response.get("content", {}), f"{where} {code}"
            # Bodies are JSON only: a form cannot say null, and the server reads JSON the same way.
            assert set(operation.get("requestBody", {}).get("content", {})) <= {"application/json"}, where


def test_a_stage_without_a_standard_stage_is_in_the_documented_enum(tmp_path):
    schema = _schema(tmp_path)
    stage = schema["components"]["schemas"]["StageOut"]["properties"]["standard_stage"]
    refs = {item["$ref"].rsplit("/", 1)[1] for item in stage["oneOf"]}
    assert refs == {"StandardStageEnum", "BlankEnum"}
    assert schema["components"]["schemas"]["BlankEnum"]["enum"] == [""]


def test_text_limits_in_the_schema_are_the_models(tmp_path):
    from journeys.models import Card, Comment, Journey, Stage

    schema = _schema(tmp_path)["components"]["schemas"]
    assert (
        schema["CardCreateInRequest"]["properties"]["text"]["maxLength"]
        == Card._meta.get_field("text").max_length
    )
    assert schema["JourneyCreateInRequest"]["properties"]["description"]["maxLength"] == (
        Journey._meta.get_field("description").max_length
    )
    assert schema["JourneyCreateInRequest"]["properties"]["tags"]["maxItems"] == 20
    assert schema["JourneyCreateInRequest"]["properties"]["tags"]["items"]["maxLength"] == 50
    assert (
        schema["StageCreateInRequest"]["properties"]["title"]["maxLength"]
        == Stage._meta.get_field("title").max_length
    )
    assert (
        schema["CommentInRequest"]["properties"]["body"]["maxLength"]
        == Comment._meta.get_field("body").max_length
    )
    ids = schema["CardCreateInRequest"]["properties"]["lane"]
    assert (ids["minimum"], ids["maximum"]) == (1, 2**63 - 1)


# Actions that take no body: the path says everything (POST …/{id}/restore/).
BODILESS_ACTIONS = {"restore", "resolve", "reopen", "resend", "test"}


def test_every_write_documents_its_body(tmp_path):
    # A view whose parser the schema generator does not know (a parser not in PARSER_WHITELIST) loses its
    # requestBody from the schema, and clients and schemathesis then send nothing (research's bulk evidence).
    schema = _schema(tmp_path)
    writes = [
        (method, path, operation)
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
        if method in {"post", "put", "patch"}
    ]
    assert len(writes) >= 30
    for method, path, operation in writes:
        action = path.rstrip("/").rsplit("/", 1)[1]
        if action in BODILESS_ACTIONS:
            assert "requestBody" not in operation, f"{method.upper()} {path}"
        else:
            assert "application/json" in operation.get("requestBody", {}).get("content", {}), (
                f"{method.upper()} {path} documents no JSON body"
            )
    bulk = schema["paths"]["/api/v1/workspaces/{id}/evidence/bulk/"]["post"]
    body = bulk["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert body.endswith("/EvidenceBulkInRequest")
