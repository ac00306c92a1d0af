"""The API's OpenAPI schema class (REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"]): drf-spectacular's, plus the
error answers every endpoint of this project can give, so the schema says what the server does
(tests/test_api_schemathesis.py checks the two agree):

- 400 `{field: [messages]}` wherever the request has a body or query parameters (bad input; NUL anywhere);
- 401 wherever credentials are needed; 404 wherever the path names an object;
- every documented 4xx with its JSON body (`{"detail": …}`, or the field errors), not only a description.

Path ids are whole numbers (`<int:pk>` matches digits only), documented with `minimum: 0`.
"""

from drf_spectacular import openapi
from drf_spectacular.plumbing import ResolvedComponent

DETAIL = {
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
    "description": "What went wrong, in a sentence.",
}
FIELD_ERRORS = {
    "type": "object",
    "additionalProperties": {},
    "description": "Bad input: `{field: [messages]}` (`non_field_errors` for the whole), or `{detail: …}` "
    "when the body could not be read. Nothing was changed.",
}
DEFAULT_DESCRIPTIONS = {
    "400": "Bad input: `{field: [messages]}`; nothing was changed.",
    "401": "No credentials, or wrong ones.",
    "404": "No such object, or you cannot see it.",
}


class AutoSchema(openapi.AutoSchema):
    def _error_ref(self, name: str, schema: dict) -> dict:
        component = ResolvedComponent(name=name, type=ResolvedComponent.SCHEMA, object=name, schema=schema)
        self.registry.register_on_missing(component)
        return component.ref

    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        parameters = operation.get("parameters", [])
        for parameter in parameters:
            if parameter["in"] == "path" and parameter.get("schema", {}).get("type") == "integer":
                parameter["schema"].setdefault("minimum", 0)
        responses = operation["responses"]
        if any(p["in"] == "path" for p in parameters):
            responses.setdefault("404", {"description": DEFAULT_DESCRIPTIONS["404"]})
        if "requestBody" in operation or any(p["in"] == "query" for p in parameters):
            responses.setdefault("400", {"description": DEFAULT_DESCRIPTIONS["400"]})
        security = operation.get("security", [])
        if security and {} not in security:
            responses.setdefault("401", {"description": DEFAULT_DESCRIPTIONS["401"]})
        for code, response in responses.items():
            if code.startswith("4") and "content" not in response:
                schema = (
                    self._error_ref("FieldErrors", FIELD_ERRORS)
                    if code == "400"
                    else self._error_ref("ErrorDetail", DETAIL)
                )
                response["content"] = {"application/json": {"schema": schema}}
        return operation
