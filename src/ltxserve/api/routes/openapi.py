"""OpenAPI per endpoint, at the hosted service's path, built from the models that validate."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query

from ltxserve.api.deps import StateDep
from ltxserve.api.errors import fail
from ltxserve.endpoints import Endpoint

router = APIRouter(tags=["openapi"])
REF = "#/components/schemas/{model}"


def endpoint_openapi(endpoint: Endpoint) -> dict[str, Any]:
    """A queue-API OpenAPI 3 document for one endpoint."""
    app_id = endpoint.endpoint_id
    app_path = "/".join(app_id.split("/")[:2])
    schemas: dict[str, Any] = {}
    refs = {}
    for model in (endpoint.input_model, endpoint.output_model):
        schema = model.model_json_schema(
            ref_template=REF, mode="validation" if model is endpoint.input_model else "serialization"
        )
        schemas.update(schema.pop("$defs", {}))
        schemas[model.__name__] = schema
        refs[model] = {"$ref": REF.format(model=model.__name__)}
    schemas["QueueStatus"] = {
        "type": "object",
        "required": ["status", "request_id"],
        "properties": {
            "status": {"type": "string", "enum": ["IN_QUEUE", "IN_PROGRESS", "COMPLETED"]},
            "request_id": {"type": "string"},
            "response_url": {"type": "string"},
            "status_url": {"type": "string"},
            "cancel_url": {"type": "string"},
            "queue_position": {"type": "integer"},
            "logs": {"type": "array", "items": {"type": "object"}, "nullable": True},
            "metrics": {"type": "object"},
        },
    }
    status_ref = {"$ref": REF.format(model="QueueStatus")}
    request_id = [{"name": "request_id", "in": "path", "required": True, "schema": {"type": "string"}}]

    def ok(schema: dict[str, Any]) -> dict[str, Any]:
        return {
            "200": {"description": "Successful Response", "content": {"application/json": {"schema": schema}}}
        }

    return {
        "openapi": "3.0.4",
        "info": {"title": endpoint.title, "version": "1.0.0", "x-fal-metadata": {"endpointId": app_id}},
        "servers": [{"url": "/queue"}],
        "components": {
            "securitySchemes": {"apiKeyAuth": {"type": "apiKey", "in": "header", "name": "Authorization"}},
            "schemas": schemas,
        },
        "security": [{"apiKeyAuth": []}],
        "paths": {
            f"/{app_id}": {
                "post": {
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": refs[endpoint.input_model]}},
                    },
                    "responses": ok(status_ref),
                }
            },
            f"/{app_path}/requests/{{request_id}}/status": {
                "get": {
                    "parameters": [
                        *request_id,
                        {"name": "logs", "in": "query", "schema": {"type": "number"}},
                    ],
                    "responses": ok(status_ref),
                }
            },
            f"/{app_path}/requests/{{request_id}}/cancel": {
                "put": {"parameters": request_id, "responses": ok({"type": "object"})}
            },
            f"/{app_path}/requests/{{request_id}}": {
                "get": {"parameters": request_id, "responses": ok(refs[endpoint.output_model])}
            },
        },
    }


@router.get("/openapi/queue/openapi.json")
def queue_openapi(state: StateDep, endpoint_id: str = Query()) -> dict[str, Any]:
    endpoint = state.endpoints.get(endpoint_id)
    if endpoint is None:
        raise fail(404, f"Unknown endpoint {endpoint_id!r}", "not_found")
    return endpoint_openapi(endpoint)
