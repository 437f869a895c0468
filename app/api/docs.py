"""The OpenAPI document and a readable reference page built from it (no script, no CDN)."""

import re

from flask import current_app, jsonify, render_template
from markupsafe import Markup, escape

from app.api import bp

METHOD_ORDER = ("get", "post", "put", "patch", "delete")


@bp.get("/openapi.json", doc_ui=False)
def openapi_document():
    return jsonify(current_app.api_doc)


def tidy_descriptions(spec: dict) -> None:
    """Docstrings arrive with their line breaks as `<br/>`; the document gets CommonMark
    paragraphs instead, which every OpenAPI tool (and the reference page) reads."""
    for item in spec.get("paths", {}).values():
        for operation in item.values():
            text = operation.get("description")
            if text:
                paragraphs = text.split("<br/><br/>")
                operation["description"] = "\n\n".join(" ".join(p.split("<br/>")) for p in paragraphs)


def _schema_name(schema: dict | None) -> str | None:
    if not schema:
        return None
    ref = schema.get("$ref") or (schema.get("items") or {}).get("$ref")
    return ref.rsplit("/", 1)[-1] if ref else schema.get("type")


def _fields(schema: dict, components: dict) -> list[dict]:
    """The fields of an object schema, one level deep, for the reference tables."""
    name = _schema_name(schema)
    target = components.get(name, schema) if name else schema
    required = set(target.get("required", []))
    rows = []
    for field, spec in (target.get("properties") or {}).items():
        kinds = [_schema_name(s) or "null" for s in spec.get("anyOf", [])] or [_schema_name(spec) or "any"]
        if spec.get("type") == "array":
            kinds = [f"list of {_schema_name(spec.get('items')) or 'any'}"]
        if "enum" in spec:
            kinds = [" | ".join(str(v) for v in spec["enum"])]
        rows.append(
            {"name": field, "type": " or ".join(kinds), "required": field in required, "description": spec.get("description", "")}
        )
    return rows


def reference(spec: dict) -> list[dict]:
    """Operations grouped by tag, in the order the document lists the tags."""
    components = spec.get("components", {}).get("schemas", {})
    groups = {tag["name"]: {"name": tag["name"], "description": tag.get("description", ""), "operations": []} for tag in spec.get("tags", [])}
    for path, item in spec.get("paths", {}).items():
        for method in METHOD_ORDER:
            operation = item.get(method)
            if operation is None:
                continue
            security = operation.get("security") or []
            scopes = sorted({scope for requirement in security for scope in requirement.get("bearerAuth", [])})
            body = (operation.get("requestBody") or {}).get("content", {}).get("application/json", {}).get("schema")
            responses = []
            for status, response in sorted(operation.get("responses", {}).items()):
                content = response.get("content") or {}
                media, described = next(iter(content.items()), (None, {}))
                responses.append({"status": status, "description": response.get("description", ""), "media": media, "schema": _schema_name(described.get("schema"))})
            entry = {
                "method": method.upper(),
                "path": path,
                "id": operation.get("operationId", ""),
                "summary": operation.get("summary", ""),
                "description": operation.get("description", ""),
                "scopes": scopes,
                "anonymous": {} in security,
                "parameters": operation.get("parameters", []),
                "body": _fields(body, components) if body else [],
                "body_schema": _schema_name(body),
                "responses": responses,
            }
            for tag in operation.get("tags", ["default"]):
                groups.setdefault(tag, {"name": tag, "description": "", "operations": []})["operations"].append(entry)
    return [group for group in groups.values() if group["operations"]]


def inline_code(text: str) -> Markup:
    """The document's descriptions mark code with backticks, as CommonMark does."""
    return Markup(re.sub(r"`([^`]+)`", r"<code>\1</code>", str(escape(text or ""))))


@bp.app_template_filter("inline_code")
def _inline_code_filter(text: str) -> Markup:
    return inline_code(text)


@bp.get("/docs", doc_ui=False)
def reference_page():
    spec = current_app.api_doc
    components = spec.get("components", {}).get("schemas", {})
    schemas = {name: _fields({"$ref": name}, components) for name in sorted(components)}
    return render_template("api/docs.html", spec=spec, groups=reference(spec), schemas=schemas)
