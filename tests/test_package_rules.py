"""The layout's import rules (docs/architecture.md): which package may import which, and no import cycles.

Read from the source with `ast`, every import counted (also those inside functions and under
TYPE_CHECKING): a lazy import is still a dependency, only a later one.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

SRC = Path(__file__).parents[1] / "src" / "ltxserve"

# Each unit (a top-level package or module, or one of the engine's sub-packages) and what it may import.
# `cli` may import anything; every unit may import itself.
TORCH_FREE_ENGINE = {"engine.request", "engine.geometry", "engine.guidance", "engine.memory"}
ALLOWED: dict[str, set[str]] = {
    "settings": set(),
    "arrays": set(),
    "openai_service": set(),
    "testing": {"engine.request"},
    "media": {"arrays"},
    "files": {"settings"},
    "jobs": {"files", "settings"},
    "safety": {"openai_service", "settings"},
    "expansion": {"engine.request", "engine.text", "openai_service", "settings"},
    "engine": set(),
    "engine.request": set(),
    "engine.geometry": {"engine.request"},
    "engine.guidance": {"engine.request"},
    "engine.loading": {"engine.geometry", "engine.request"},
    "engine.model": {"engine.geometry", "engine.loading"},
    "engine.tiny": {"engine.loading"},
    "engine.adapters": {"engine.loading", "engine.request"},
    "engine.memory": {"engine.geometry", "engine.guidance", "engine.loading", "engine.request"},
    "engine.text": {"engine.model", "engine.request"},
    "engine.generation": {
        "arrays",
        "engine.adapters",
        "engine.geometry",
        "engine.guidance",
        "engine.loading",
        "engine.memory",
        "engine.model",
        "engine.request",
        "engine.text",
    },
    # `engine.loading` for the preset's config, where the size grid's VAE factors come from.
    "endpoints": {
        "engine.geometry",
        "engine.guidance",
        "engine.loading",
        "engine.memory",
        "engine.request",
        "media",
        "arrays",
    },
    # The API process never loads the model: only the engine's torch-free parts.
    "api": {"endpoints", "files", "jobs", "settings", *TORCH_FREE_ENGINE},
    "serving": {"api", "jobs", "settings"},
    "worker": {
        "arrays",
        "endpoints",
        "expansion",
        "files",
        "jobs",
        "media",
        "safety",
        "settings",
        "engine.request",
        "engine.geometry",
        "engine.guidance",
        "engine.model",
        "engine.loading",
        "engine.tiny",
        "engine.adapters",
        "engine.memory",
        "engine.text",
        "engine.generation",
    },
}


def module_name(path: Path) -> str:
    parts = path.relative_to(SRC.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def unit_of(module: str) -> str:
    """`ltxserve.engine.generation.pipeline` → `engine.generation`; `ltxserve.api.main` → `api`."""
    parts = module.split(".")[1:]
    if parts[:1] == ["engine"] and len(parts) > 1:
        return f"engine.{parts[1]}"
    return parts[0] if parts else ""


def imports_of(path: Path) -> set[str]:
    """Every `ltxserve` module `path` imports (for `from a import b`, `a.b` when that is a module)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.startswith("ltxserve."))
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("ltxserve"):
            module = str(node.module)
            found.add(module)
            found.update(f"{module}.{a.name}" for a in node.names if is_module(f"{module}.{a.name}"))
    return found


def is_module(name: str) -> bool:
    relative = Path(*name.split(".")[1:])
    return (SRC / relative).with_suffix(".py").is_file() or (SRC / relative / "__init__.py").is_file()


def import_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = defaultdict(set)
    for path in sorted(SRC.rglob("*.py")):
        graph[module_name(path)] |= {name for name in imports_of(path) if is_module(name)}
    return graph


def test_every_unit_has_a_rule() -> None:
    units = {unit_of(module) for module in import_graph()} - {"", "cli", "__main__"}
    assert units <= set(ALLOWED), f"no import rule for {sorted(units - set(ALLOWED))}"


def test_packages_import_only_what_the_layout_allows() -> None:
    broken = sorted(
        f"{module} imports {target}"
        for module, targets in import_graph().items()
        for target in targets
        if (unit := unit_of(module)) not in ("cli", "")
        and (other := unit_of(target)) != unit
        and other not in ALLOWED.get(unit, set())
    )
    assert not broken, "imports against docs/architecture.md:\n" + "\n".join(broken)


def test_no_import_cycles() -> None:
    graph = import_graph()
    cycles: list[list[str]] = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(module: str) -> None:
        state[module] = 1
        path.append(module)
        for target in sorted(graph.get(module, ())):
            if target.startswith(module + ".") or module.startswith(target + "."):
                continue  # a package and its own modules (`__init__` faces) are not a cycle
            if state.get(target) == 1:
                cycles.append([*path[path.index(target) :], target])
            elif target not in state:
                visit(target)
        path.pop()
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module)
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(cycle) for cycle in cycles)


def test_the_rules_catch_a_forbidden_import() -> None:
    # The checker itself: the API reaching the generation code would be reported.
    assert "engine.generation" not in ALLOWED["api"]
    assert unit_of("ltxserve.engine.generation.pipeline") == "engine.generation"
    assert unit_of("ltxserve.api.routes.queue") == "api"
