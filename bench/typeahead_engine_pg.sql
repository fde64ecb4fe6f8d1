-- The typeahead's search done by PostgreSQL alone, for comparison with the same search over HTTP: the store's SQL
-- (both prefix ranges in one statement, then, when fewer than 11 came back and the query has 3 letters or more, a
-- sample of the table and, when that held fewer than the names still needed, the trigram index), run and timed
-- inside the server by PL/pgSQL, which plans its statements as prepared ones, as Candor's driver does. Each query
-- runs twice; the second pass is timed.
--
-- Usage, from the directory holding keys.tsv:
--   python3 bench/typeahead_engine.py --keys queries.txt > keys.tsv
--   psql -q DATABASE_URL -f bench/typeahead_engine_pg.sql
-- It leaves nothing behind (temporary table and function).
CREATE TEMP TABLE bench_keys (i int, n int, k text COLLATE "C");
\copy bench_keys FROM 'keys.tsv'
CREATE FUNCTION pg_temp.bench_typeahead() RETURNS TABLE (n int, ms float8) LANGUAGE plpgsql AS $$
DECLARE org text; r record; t0 timestamptz; found int; sampled int;
BEGIN
  SELECT id INTO org FROM organizations WHERE name = 'Bench';
  FOR rep IN 1..2 LOOP
    FOR r IN SELECT * FROM bench_keys ORDER BY i LOOP
      t0 := clock_timestamp();
      SELECT count(*) INTO found FROM (
        SELECT * FROM (SELECT c.id FROM candidates c WHERE c.org_id = org AND c.last_key >= r.k
                       AND c.last_key < r.k || U&'\+10FFFF' ORDER BY c.last_key LIMIT 11) a
        UNION ALL
        SELECT * FROM (SELECT c.id FROM candidates c WHERE c.org_id = org AND c.full_key >= r.k
                       AND c.full_key < r.k || U&'\+10FFFF' ORDER BY c.full_key LIMIT 11) b) u;
      IF found < 11 AND length(r.k) >= 3 THEN
        -- The fill as the store does it: a sample of pages spread over the table first, then the trigram index's
        -- bitmap alone when the sample held fewer than the names still needed.
        SELECT count(*) INTO sampled FROM (SELECT c.id FROM candidates c TABLESAMPLE SYSTEM ((SELECT least(100,
          100 * 2500::float8 / greatest(reltuples, 1)) FROM pg_class WHERE oid = 'candidates'::regclass)) REPEATABLE (0)
          WHERE c.full_key LIKE '%' || r.k || '%' AND c.org_id = org LIMIT 22) s;
        IF sampled < 11 - found THEN
          PERFORM set_config('enable_seqscan', 'off', false), set_config('enable_indexscan', 'off', false);
          PERFORM c.id FROM candidates c WHERE c.full_key LIKE '%' || r.k || '%' AND c.org_id = org LIMIT 22;
          PERFORM set_config('enable_seqscan', 'on', false), set_config('enable_indexscan', 'on', false);
        END IF;
      END IF;
      IF rep = 2 THEN n := r.n; ms := extract(epoch FROM clock_timestamp() - t0) * 1000; RETURN NEXT; END IF;
    END LOOP;
  END LOOP;
END $$;
SELECT n AS letters, round(percentile_cont(0.5) WITHIN GROUP (ORDER BY ms)::numeric, 3) AS p50_ms,
       round(percentile_cont(0.99) WITHIN GROUP (ORDER BY ms)::numeric, 3) AS p99_ms
FROM pg_temp.bench_typeahead() GROUP BY n ORDER BY n;
