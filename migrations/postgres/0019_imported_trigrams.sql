-- SQLite only (its trigram table is written by a trigger); PostgreSQL's trigram index is an index.
SELECT 1;
