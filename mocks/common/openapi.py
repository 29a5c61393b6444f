"""A compact way to write each mock's OpenAPI 3.1 document next to its routes."""

from __future__ import annotations

from typing import Any

ERROR = {
    "type": "object",
    "required": ["errors", "status_code"],
    "properties": {
        "errors": {"type": "string"},
        "status_code": {"type": "integer"},
        "problems": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"field": {"type": "string"}, "problem": {"type": "string"}},
            },
        },
    },
}


def fields(*names: str, required: tuple[str, ...] = ()) -> dict[str, Any]:
    return {
        "type": "object",
        "required": list(required),
        "properties": {name: {"type": "string"} for name in names},
    }


def document(title: str, description: str, operations: list[tuple[str, str, str, dict | None]]) -> dict[str, Any]:
    """``operations``: (METHOD, path, summary, request schema or None)."""
    paths: dict[str, Any] = {}
    for method, path, summary, schema in operations:
        op: dict[str, Any] = {
            "summary": summary,
            "operationId": f"{method.lower()}_{path.strip('/').replace('/', '_').replace('{', '').replace('}', '')}",
            "responses": {
                "200": {"description": "OK", "content": {"application/json": {"schema": {"type": "object"}}}},
                "4XX": {"description": "Refused", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
            },
        }
        params = [
            {"name": part.strip("{}"), "in": "path", "required": True, "schema": {"type": "string"}}
            for part in path.split("/")
            if part.startswith("{")
        ]
        if params:
            op["parameters"] = params
        if schema is not None:
            op["requestBody"] = {"required": True, "content": {"application/json": {"schema": schema}}}
        paths.setdefault(path, {})[method.lower()] = op
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": "1", "description": description},
        "paths": paths,
        "components": {"schemas": {"Error": ERROR}},
    }
