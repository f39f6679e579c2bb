"""The PostgreSQL `JobQueue`: records in our tables (psycopg 3 pool), the queue itself in procrastinate."""
