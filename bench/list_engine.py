#!/usr/bin/env python3
"""The candidate list's keyset statement by name, done by SQLite alone, on two database files alternated (for
example one with the index as shipped and one with another index): 500 random cursors after 100 warm-up, LIMIT 51,
ascending and descending, two rounds; prints each file's plan and its p50 / p99.

Usage: bench/list_engine.py A.db B.db
"""
import random, sqlite3, sys, time

res = {}
for path in sys.argv[1:3] * 2:
    random.seed(7)
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    org = db.execute("SELECT org_id FROM candidates LIMIT 1").fetchone()[0]
    rows = db.execute("SELECT last_key, first_key, id FROM candidates WHERE rid % 997 = 0").fetchall()
    random.shuffle(rows)
    rows = rows[:600]
    for order, cmp in [("ASC", ">"), ("DESC", "<")]:
        sql = (f"SELECT * FROM candidates c WHERE c.org_id = ? AND (c.last_key, c.first_key, c.id) {cmp} (?, ?, ?) "
               f"ORDER BY c.last_key {order}, c.first_key {order}, c.id {order} LIMIT 51")
        plan = [r[3] for r in db.execute("EXPLAIN QUERY PLAN " + sql, (org, *rows[0]))]
        for r in rows[:100]:
            db.execute(sql, (org, *r)).fetchall()
        ts = []
        for r in rows[100:]:
            t = time.perf_counter()
            db.execute(sql, (org, *r)).fetchall()
            ts.append(time.perf_counter() - t)
        ts.sort()
        res.setdefault((path, order, " / ".join(plan)), []).append((ts[len(ts) // 2] * 1000, ts[int(len(ts) * 0.99)] * 1000))
for (path, order, plan), v in res.items():
    print(path, order, plan)
    print("   ", ", ".join(f"p50 {a:.3f} ms p99 {b:.3f} ms" for a, b in v))
