-- The same as btree_floor.py on PostgreSQL: one index on (26-char org id, random 20-char key), 1M rows in
-- 50,000-row transactions; psql's \timing gives each transaction's time.
DROP TABLE IF EXISTS floor_t;
CREATE TABLE floor_t (rid bigserial PRIMARY KEY, org text NOT NULL, k text NOT NULL);
CREATE INDEX floor_t_k ON floor_t (org, k);
\timing on
SELECT format('INSERT INTO floor_t (org, k) SELECT repeat(''0'', 26), substr(md5(random()::text), 1, 20) FROM generate_series(1, 50000)') FROM generate_series(1, 20) \gexec
\timing off
DROP TABLE floor_t;
