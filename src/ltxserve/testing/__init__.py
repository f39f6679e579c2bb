"""For tests and benchmarks, never used by the server: throwaway services (PostgreSQL, an S3 server, a
webhook receiver), small engine requests for the tiny model and random transformer inputs."""
