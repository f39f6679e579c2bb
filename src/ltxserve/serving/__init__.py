"""Process control: the `serve` and `api` commands (uvicorn, TLS), and the supervisor of worker processes."""
