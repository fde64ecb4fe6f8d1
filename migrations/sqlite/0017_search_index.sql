-- PostgreSQL only (its trigram index's pending list); SQLite's FTS5 index has nothing like it.
SELECT 1;
