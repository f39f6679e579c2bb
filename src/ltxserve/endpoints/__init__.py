"""The endpoint catalogue: fal endpoint ids, their schemas, and their engine requests."""

from __future__ import annotations

from ltxserve.endpoints.catalogue import CATALOGUE
from ltxserve.endpoints.registry import Endpoint, Plan, PlanError, ResolvedMedia, Stitch, UnknownEndpointError

ENDPOINTS: dict[str, Endpoint] = {endpoint.endpoint_id: endpoint for endpoint in CATALOGUE}


def get_endpoint(endpoint_id: str) -> Endpoint:
    """The served endpoint with this fal id; `UnknownEndpointError` (a KeyError) otherwise."""
    try:
        return ENDPOINTS[endpoint_id]
    except KeyError:
        raise UnknownEndpointError(endpoint_id) from None


__all__ = [
    "ENDPOINTS",
    "Endpoint",
    "Plan",
    "PlanError",
    "ResolvedMedia",
    "Stitch",
    "UnknownEndpointError",
    "get_endpoint",
]
