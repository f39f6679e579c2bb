"""Input schemas as compositions: a field is described once (`In`), endpoints pick groups of them."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from pydantic import Field, create_model
from pydantic_core import PydanticUndefined

from ltxserve.endpoints.common import InputModel

REQUIRED: Any = PydanticUndefined


@dataclass(frozen=True)
class In:
    """One input field: its type, its default (`REQUIRED` when it has none) and its published text."""

    annotation: Any
    default: Any = REQUIRED
    description: str = ""
    # Further `Field()` keywords: ge/le ranges, max_length, examples.
    limits: dict[str, Any] = field(default_factory=dict)

    def but(self, **changes: Any) -> In:
        """The same field with another default, description or range (`ge`, `le` go into `limits`)."""
        moved: dict[str, Any] = {k: changes.pop(k) for k in ("ge", "le", "examples") if k in changes}
        limits = {**self.limits, **moved}
        return replace(self, limits=limits, **changes)

    def field_info(self) -> Any:
        return Field(default=self.default, description=self.description, **self.limits)


Group = dict[str, In]


def compose(name: str, endpoint_id: str, *groups: Group) -> type[InputModel]:
    """The input model of `endpoint_id`: the groups' fields in order; a later group overrides a field
    in place (it keeps the position where it first appeared)."""
    fields: Group = {}
    for group in groups:
        fields.update(group)
    definitions: dict[str, Any] = {key: (spec.annotation, spec.field_info()) for key, spec in fields.items()}
    return create_model(
        name,
        __base__=InputModel,
        __doc__=f"Input of `{endpoint_id}`.",
        __module__="ltxserve.endpoints.catalogue",
        **definitions,
    )
