"""`python -m ltxserve.worker --worker-id ID --device DEV`: one worker, settings from `LTXSERVE_*`."""

from __future__ import annotations

import argparse

from ltxserve.settings import Settings
from ltxserve.worker.process import run_worker


def main() -> None:
    parser = argparse.ArgumentParser(prog="ltxserve-worker")
    parser.add_argument("--worker-id", default=None)
    parser.add_argument("--device", default=None)
    parser.add_argument("--with-parent", action="store_true", help="exit when the parent process is gone")
    args = parser.parse_args()
    run_worker(Settings(), args.worker_id, args.device, args.with_parent)


if __name__ == "__main__":
    main()
