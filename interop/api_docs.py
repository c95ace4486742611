"""The API's documentation page at /api/docs/: the OpenAPI schema read out as a page of the
app itself. It loads nothing but the app's own stylesheets, so it runs under the site's CSP
(no inline style or script, no CDN) and carries the site's language, contrast and landmarks;
tools take the schema itself from /api/schema/."""

from django.contrib.auth.decorators import login_not_required
from django.shortcuts import render
from drf_spectacular.generators import SchemaGenerator

METHODS = ("get", "post", "put", "patch", "delete")


def _resolve(schema, node):
    while isinstance(node, dict) and "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
    return node


def _body_fields(schema, body):
    """(content types, the fields of the first one, which are required, the location rule)."""
    content = body.get("content", {})
    if not content:
        return [], [], ""
    shape = _resolve(schema, next(iter(content.values()))["schema"])
    # The hotline's body is one of several messages, each with its own fields.
    shapes = [_resolve(schema, one) for one in shape.get("oneOf", [shape])]
    fields = []
    for one in shapes:
        required = set(one.get("required", []))
        for name, field in one.get("properties", {}).items():
            kind = field.get("enum") or field.get("type", "")
            limit = field.get("maxLength")
            fields.append(
                {
                    "name": name,
                    "required": name in required,
                    "kind": kind,
                    "limit": limit,
                    "description": field.get("description", ""),
                }
            )
    either = [" + ".join(branch.get("required", [])) for branch in shapes[0].get("anyOf", [])]
    return list(content), fields, " | ".join(either)


def operations(schema):
    found = []
    for path, methods in schema.get("paths", {}).items():
        for method in METHODS:
            operation = methods.get(method)
            if operation is None:
                continue
            security = operation.get("security", [])
            types, fields, either = _body_fields(schema, operation.get("requestBody", {}))
            found.append(
                {
                    "id": operation.get("operationId", f"{method}-{path}"),
                    "method": method.upper(),
                    "path": path,
                    "summary": operation.get("summary", ""),
                    "description": operation.get("description", ""),
                    "key": "required"
                    if security and {} not in security and any(security)
                    else ("optional" if any(security) else "none"),
                    "parameters": operation.get("parameters", []),
                    "body_types": types,
                    "fields": fields,
                    "either": either,
                    "responses": [
                        (status, answer.get("description", ""), list(answer.get("content", {})))
                        for status, answer in sorted(operation.get("responses", {}).items())
                    ],
                }
            )
    return found


@login_not_required
def api_docs(request):
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return render(
        request,
        "interop/api_docs.html",
        {"info": schema.get("info", {}), "operations": operations(schema)},
    )
