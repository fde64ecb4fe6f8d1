#!/usr/bin/env python3
"""The typeahead's search done by SQLite alone, for comparison with the same search over HTTP: the store's SQL (both
prefix ranges in one statement, then the trigram index when fewer than 11 came back and the query has 3 letters or
more) through Python's own sqlite3, on a copy of Candor's database file.

Usage: bench/typeahead_engine.py candor.db QUERIES.txt CACHE_KIB   (QUERIES.txt from bench/candidates_csv.py)
       bench/typeahead_engine.py --keys QUERIES.txt > keys.tsv      (the folded queries, for
                                                                    bench/typeahead_engine_pg.sql)

`key` folds like Candor's `search_key` for the letters the generated names use. Each query runs twice; the second
pass is timed.
"""
import sqlite3, sys, time, unicodedata
FOLD = {"ø": "o", "æ": "ae", "ß": "ss", "ł": "l", "đ": "d", "þ": "th", "ð": "d", "œ": "oe"}
def key(s):
    s = "".join(FOLD.get(c, c) for c in s.lower())
    s = "".join(c for c in unicodedata.normalize("NFD", s) if not unicodedata.combining(c))
    return " ".join(s.split())
if sys.argv[1] == "--keys":
    for i, line in enumerate(open(sys.argv[2], encoding="utf-8")):
        n, q = line.rstrip("\n").split("\t")
        print(f"{i}\t{n}\t{key(q)}")
    sys.exit(0)
db, qfile, cache_kib = sys.argv[1], sys.argv[2], int(sys.argv[3])
con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
con.execute(f"PRAGMA cache_size = -{cache_kib}")
org = con.execute("SELECT id FROM organizations WHERE name='Bench'").fetchone()[0]
cols = "c.id, c.first_name, c.last_name, c.email, c.phone, c.notes, c.created_at, c.updated_at, c.first_key, c.last_key"
rng = lambda col: f"SELECT * FROM (SELECT {cols} FROM candidates c WHERE c.org_id = ?1 AND c.{col} >= ?2 AND c.{col} < ?3 ORDER BY c.{col} LIMIT ?4) {col}_r"
union = f"{rng('last_key')} UNION ALL {rng('full_key')}"
tri = f"SELECT {cols} FROM candidate_trigrams t JOIN candidates c ON c.rid = t.rowid WHERE candidate_trigrams MATCH ?1 AND c.org_id = ?2 LIMIT ?3"
qs = {}
for line in open(qfile, encoding="utf-8"):
    n, q = line.rstrip("\n").split("\t"); qs.setdefault(n, []).append(q)
for n in ["1", "2", "3", "5"]:
    times = []
    for rep in range(2):
        for q in qs[n]:
            k = key(q)
            t = time.perf_counter()
            rows = con.execute(union, (org, k, k + "\U0010FFFF", 11)).fetchall()
            ids = {r[0] for r in rows}
            if len(ids) < 11 and len(k) >= 3:
                con.execute(tri, ('"' + k.replace('"', '""') + '"', org, 22)).fetchall()
            if rep: times.append((time.perf_counter() - t) * 1000)
    times.sort()
    print(f"{n} letters: p50 {times[len(times)//2]:.3f} ms p99 {times[int(len(times)*0.99)]:.3f} ms (cache {cache_kib} KiB)")
