"""For tests and benchmarks, never used by the server: throwaway services (PostgreSQL, an S3 server) and
small engine requests for the tiny model."""
