"""Throwaway services (PostgreSQL, an S3 server) for tests and benchmarks; never used by the server."""
