"""OpenAPI 3.1 built from the models that validate: one document per endpoint at the hosted service's
paths, and the server's own `/openapi.json` listing every endpoint's submit and run with their input
and output schemas (so `/docs` can submit a real job)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from fastapi import APIRouter, FastAPI, Query
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode

from ltxserve.api.deps import StateDep
from ltxserve.api.errors import fail
from ltxserve.endpoints import Endpoint

router = APIRouter(tags=["openapi"])
REF = "#/components/schemas/{model}"
SECURITY_SCHEMES = {
    "apiKeyAuth": {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": "`Key <your key>` (one of LTXSERVE_API_KEYS; any value when none are configured)",
    }
}
QUEUE_STATUS = {
    "type": "object",
    "required": ["status", "request_id"],
    "properties": {
        "status": {"type": "string", "enum": ["IN_QUEUE", "IN_PROGRESS", "COMPLETED"]},
        "request_id": {"type": "string"},
        "response_url": {"type": "string"},
        "status_url": {"type": "string"},
        "cancel_url": {"type": "string"},
        "queue_position": {"type": "integer"},
        "logs": {"type": ["array", "null"], "items": {"type": "object"}},
        "metrics": {"type": "object"},
        "error": {"type": "string"},
        "error_type": {"type": "string"},
    },
}
VALIDATION_ERROR = {
    "type": "object",
    "properties": {
        "detail": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["loc", "msg", "type"],
                "properties": {
                    "loc": {"type": "array", "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]}},
                    "msg": {"type": "string"},
                    "type": {"type": "string"},
                },
            },
        }
    },
}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": REF.format(model=name)}


def _json(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _operation_id(verb: str, path: str) -> str:
    return verb + "_" + re.sub(r"[^A-Za-z0-9]+", "_", path).strip("_")


def model_schemas(endpoints: Iterable[Endpoint]) -> dict[str, Any]:
    """Every endpoint's input and output model, shared `$defs` merged, plus the queue's own shapes."""
    schemas: dict[str, Any] = {"QueueStatus": QUEUE_STATUS, "ValidationError": VALIDATION_ERROR}
    for endpoint in endpoints:
        modes: tuple[tuple[type[BaseModel], JsonSchemaMode], ...] = (
            (endpoint.input_model, "validation"),
            (endpoint.output_model, "serialization"),
        )
        for model, mode in modes:
            schema = model.model_json_schema(ref_template=REF, mode=mode)
            schemas.update(schema.pop("$defs", {}))
            schemas[model.__name__] = schema
    return schemas


def endpoint_paths(endpoints: list[Endpoint], queue: str, run: str | None) -> dict[str, Any]:
    """Submit (and run) per endpoint; status, result and cancel per `owner/alias` (shared by endpoints
    of one app: the result is then one of their outputs)."""
    paths: dict[str, Any] = {}
    request_id = {"name": "request_id", "in": "path", "required": True, "schema": {"type": "string"}}
    errors = {"422": _json("Invalid input", _ref("ValidationError"))}
    by_app: dict[str, list[Endpoint]] = {}
    for endpoint in endpoints:
        app_id = endpoint.endpoint_id
        by_app.setdefault("/".join(app_id.split("/")[:2]), []).append(endpoint)
        body = {
            "required": True,
            "content": {"application/json": {"schema": _ref(endpoint.input_model.__name__)}},
        }
        submit = f"{queue}/{app_id}"
        paths[submit] = {
            "post": {
                "tags": [app_id],
                "summary": f"Queue a job: {endpoint.title}",
                "operationId": _operation_id("submit", submit),
                "parameters": [{"name": "fal_webhook", "in": "query", "schema": {"type": "string"}}],
                "requestBody": body,
                "responses": {"200": _json("Queued", _ref("QueueStatus")), **errors},
            }
        }
        if run is not None:
            output = _ref(endpoint.output_model.__name__)
            paths[f"{run}/{app_id}"] = {
                "post": {
                    "tags": [app_id],
                    "summary": f"Run and wait for the output: {endpoint.title}",
                    "operationId": _operation_id("run", f"{run}/{app_id}"),
                    "requestBody": body,
                    "responses": {"200": _json("The output", output), **errors},
                }
            }
    for app_path, members in by_app.items():
        outputs = [_ref(name) for name in sorted({e.output_model.__name__ for e in members})]
        result_schema: dict[str, Any] = outputs[0] if len(outputs) == 1 else {"oneOf": outputs}
        base = f"{queue}/{app_path}/requests/{{request_id}}"
        logs = {
            "name": "logs",
            "in": "query",
            "schema": {"type": "string", "enum": ["0", "1", "true", "false"]},
        }
        tags = [members[0].endpoint_id] if len(members) == 1 else ["queue"]
        paths[f"{base}/status"] = {
            "get": {
                "tags": tags,
                "summary": f"Status of a {app_path} job",
                "operationId": _operation_id("status", base),
                "parameters": [request_id, logs],
                "responses": {
                    "200": _json("Completed", _ref("QueueStatus")),
                    "202": _json("Queued or running", _ref("QueueStatus")),
                },
            }
        }
        paths[base] = {
            "get": {
                "tags": tags,
                "summary": f"Result of a {app_path} job",
                "operationId": _operation_id("result", base),
                "parameters": [request_id],
                "responses": {"200": _json("The output", result_schema)},
            }
        }
        paths[f"{base}/cancel"] = {
            "put": {
                "tags": tags,
                "summary": f"Cancel a {app_path} job",
                "operationId": _operation_id("cancel", base),
                "parameters": [request_id],
                "responses": {"202": _json("Cancellation requested", {"type": "object"})},
            }
        }
    return paths


def endpoint_openapi(endpoint: Endpoint) -> dict[str, Any]:
    """One endpoint's queue API, as the hosted service publishes it (servers: the queue prefix)."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": endpoint.title,
            "version": "1.0.0",
            "x-fal-metadata": {"endpointId": endpoint.endpoint_id},
        },
        "servers": [{"url": "/queue"}],
        "components": {"securitySchemes": SECURITY_SCHEMES, "schemas": model_schemas([endpoint])},
        "security": [{"apiKeyAuth": []}],
        "paths": endpoint_paths([endpoint], "", None),
    }


def server_openapi(app: FastAPI, endpoints: dict[str, Endpoint]) -> dict[str, Any]:
    """The server's `/openapi.json`: its own routes, with the generic submit/run routes replaced by one
    typed pair per endpoint."""
    if app.openapi_schema is None:
        doc = get_openapi(title=app.title, version=app.version, routes=app.routes, openapi_version="3.1.0")
        generic = {p for p in doc.get("paths", {}) if p.startswith(("/queue/{", "/run/{"))}
        paths = {p: v for p, v in doc.get("paths", {}).items() if p not in generic}
        paths |= endpoint_paths(sorted(endpoints.values(), key=lambda e: e.endpoint_id), "/queue", "/run")
        components = doc.setdefault("components", {})
        components.setdefault("schemas", {}).update(model_schemas(endpoints.values()))
        components["securitySchemes"] = SECURITY_SCHEMES
        doc["paths"], doc["security"] = paths, [{"apiKeyAuth": []}]
        app.openapi_schema = doc
    return app.openapi_schema


@router.get("/openapi/queue/openapi.json")
@router.get("/api/openapi/queue/openapi.json")
def queue_openapi(state: StateDep, endpoint_id: str = Query()) -> dict[str, Any]:
    """One endpoint's document; also at fal's path (`/api/openapi/queue/openapi.json?endpoint_id=...`)."""
    endpoint = state.endpoints.get(endpoint_id)
    if endpoint is None:
        raise fail(404, f"Unknown endpoint {endpoint_id!r}", "not_found")
    return endpoint_openapi(endpoint)
