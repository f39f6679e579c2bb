"""`python -m ltxserve.serving serve|api [flags]`: the same as `ltxserve serve|api`, without the CLI's imports."""

from __future__ import annotations

import argparse

from ltxserve.serving.commands import run_api, run_serve
from ltxserve.settings import load_settings


def main() -> None:
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
    args = vars(parser.parse_args())
    command = args.pop("command")
    settings = load_settings(**args)
    (run_serve if command == "serve" else run_api)(settings)


if __name__ == "__main__":
    main()
