"""The 19 newer endpoints' OpenAPI documents against fal's published types, field by field.

tests/data/fal-ltx23-family.json is fal's JS client types (names, types, required, defaults, texts) and
its model pages' ranges. fal omits falsy defaults from the types: a missing default must be falsy here.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from ltxserve.api.routes.openapi import endpoint_openapi
from ltxserve.endpoints import ENDPOINTS

SPEC = json.loads((Path(__file__).parents[1] / "data" / "fal-ltx23-family.json").read_text())
SEEDS = {
    "fal-ai/ltx-2.3-quality/text-to-audio",
    "fal-ai/ltx-2.3-quality/text-to-audio/lora",
    "fal-ai/ltx-2.3-quality/audio-to-video/lora",
    "fal-ai/ltx-2.3-22b/audio-to-video",
    "fal-ai/ltx-2.3-22b/text-to-video/lora",
}
PRESETS = ["square_hd", "square", "portrait_4_3", "portrait_16_9", "landscape_4_3", "landscape_16_9"]


def ranges_for(endpoint_id: str) -> dict[str, list[float]]:
    groups = SPEC["ranges"]
    if "ltx-2.3-quality" in endpoint_id:
        found = dict(groups["quality shared ranges"])
        if "extend-video" in endpoint_id:
            found |= groups["quality extend-video"]
    else:
        found = dict(groups["22b (dev) shared ranges"])
        if "extend-video" in endpoint_id:
            found |= groups["22b extend-video"]
    return {name: value for name, value in found.items() if name != "note"}


def document(endpoint_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The served OpenAPI input schema and its components."""
    doc = endpoint_openapi(ENDPOINTS[endpoint_id])
    schemas = doc["components"]["schemas"]
    ref = doc["paths"][f"/{endpoint_id}"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    return schemas[ref["$ref"].rsplit("/", 1)[1]], schemas


def published_default(text: str | None) -> Any:
    if text is None:
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text  # unquoted enum values (`landscape_16_9`, `auto`)


def enum_values(type_text: str) -> list[str]:
    return re.findall(r'"([^"]+)"', type_text)


def check_type(name: str, spec_type: str, prop: dict[str, Any], schemas: dict[str, Any]) -> None:
    options = prop.get("anyOf", [prop])
    kinds = {option.get("type") for option in options} - {None, "null"}
    if spec_type == "number":
        assert kinds <= {"number", "integer"}, name
        assert kinds, name
    elif spec_type == "boolean":
        assert kinds == {"boolean"}, name
    elif spec_type in ("string", "string | Blob | File"):
        assert kinds == {"string"}, name
        assert "enum" not in options[0], name
    elif spec_type == "Array<LoRAInput>":
        assert prop["type"] == "array", name
        assert prop["items"]["$ref"].endswith("/LoRAInput"), name
        assert prop["maxItems"] == 3
    elif "ImageSize" in spec_type:
        assert options[0]["$ref"].endswith("/ImageSize"), name
        assert "ImageSize" in schemas, name
        assert options[1]["enum"] == enum_values(spec_type), name
    else:
        assert next(o for o in options if "enum" in o)["enum"] == enum_values(spec_type), name


NEW = sorted(SPEC["endpoints"])


def test_the_catalogue_serves_the_seeds_and_every_published_endpoint():
    assert len(SPEC["endpoints"]) == 19
    assert set(ENDPOINTS) == SEEDS | set(NEW)


@pytest.mark.parametrize("endpoint_id", NEW)
def test_openapi_matches_the_published_types_field_by_field(endpoint_id: str) -> None:
    spec = SPEC["endpoints"][endpoint_id]
    schema, schemas = document(endpoint_id)
    props = schema["properties"]
    assert set(props) == {field["name"] for field in spec["fields"]}
    assert set(schema.get("required", [])) == {f["name"] for f in spec["fields"] if f["required"]}
    assert endpoint_openapi(ENDPOINTS[endpoint_id])["paths"]  # the document is complete
    output = ENDPOINTS[endpoint_id].output_model
    assert output.__name__ == spec["output"]
    assert set(output.model_fields) == {"video", "seed", "prompt"}
    ranges = ranges_for(endpoint_id)
    for field in spec["fields"]:
        name, prop = field["name"], props[field["name"]]
        doc = re.sub(r"\s*Default value: .*$", "", field["doc"], flags=re.S)
        assert prop["description"] == doc, name
        check_type(name, field["type"], prop, schemas)
        if not field["required"]:
            expected = published_default(field["default"])
            assert prop.get("default") == expected if expected is not None else not prop.get("default"), name
        if name in ranges:
            assert [prop.get("minimum"), prop.get("maximum")] == ranges[name], name
