"""`python -m ltxserve.serving serve|api [flags]`: the same as `ltxserve serve|api`, without the CLI's imports."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import get_args

from ltxserve.serving.commands import run_api, run_serve
from ltxserve.settings import Settings, load_settings


def parse(argv: Sequence[str] | None = None) -> tuple[str, Settings]:
    """The command and its settings: the environment, with the flags given taking precedence."""
    parser = argparse.ArgumentParser(prog="python -m ltxserve.serving")
    parser.add_argument("command", choices=["serve", "api"])
    parser.add_argument("--model", dest="model_dir", default=None)
    parser.add_argument("--host", default=None)
    parser.add_argument("--port", type=int, default=None)
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--public-url", default=None)
    parser.add_argument("--api-keys-file", default=None)
    parser.add_argument("--insecure", action="store_true", default=None)
    parser.add_argument("--tls", action="store_true", default=None)
    parser.add_argument("--tls-cert", default=None)
    parser.add_argument("--tls-key", default=None)
    # The workers' speed and memory options, as `ltxserve serve` has them (docs/performance.md, memory.md).
    for name in ("attention", "compile", "memory"):
        parser.add_argument(
            f"--{name}", default=None, choices=get_args(Settings.model_fields[name].annotation)
        )
    args = vars(parser.parse_args(argv))
    command = args.pop("command")
    return command, load_settings(**args)


def main() -> None:
    command, settings = parse()
    (run_serve if command == "serve" else run_api)(settings)


if __name__ == "__main__":
    main()
