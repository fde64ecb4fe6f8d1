-- SQLite only (its index entries end with the row id); PostgreSQL's import does not slow down with this index.
SELECT 1;
