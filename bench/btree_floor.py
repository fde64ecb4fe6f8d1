#!/usr/bin/env python3
"""How SQLite's cost per row grows when an index is filled in random order, apart from anything Candor does: one
table, one index on (a 26-character organization id, a random 20-character key), ROWS rows in BATCH-row
transactions, WAL, synchronous=NORMAL, a 96 MiB page cache (the import's writer's). Prints the seconds the inserts
and the commits took in each quarter of the rows. bench/btree_floor_pg.sql does the same on PostgreSQL.
Usage: bench/btree_floor.py [ROWS [BATCH [noindex]]]   (1000000 and 50000 by default; noindex: the table alone)
"""
import os, random, sqlite3, string, sys, tempfile, time
rows = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
batch = int(sys.argv[2]) if len(sys.argv) > 2 else 50_000
path = os.path.join(tempfile.mkdtemp(), 'floor.db')
db = sqlite3.connect(path, isolation_level=None)
for p in ('journal_mode=WAL', 'synchronous=NORMAL', 'cache_size=-98304', 'wal_autocheckpoint=8192'):
    db.execute('PRAGMA ' + p)
db.execute('CREATE TABLE t (rid INTEGER PRIMARY KEY, org TEXT NOT NULL, k TEXT NOT NULL)')
if sys.argv[3:4] != ['noindex']:
    db.execute('CREATE INDEX t_k ON t (org, k)')
org = '0' * 26
rnd = random.Random(1)
ins = [0.0] * 4; com = [0.0] * 4
for b in range(rows // batch):
    data = [(org, ''.join(rnd.choices(string.ascii_lowercase, k=20))) for _ in range(batch)]
    q = b * 4 * batch // rows
    t = time.perf_counter(); db.execute('BEGIN')
    db.executemany('INSERT INTO t (org, k) VALUES (?, ?)', data)
    t2 = time.perf_counter(); db.execute('COMMIT'); t3 = time.perf_counter()
    ins[q] += t2 - t; com[q] += t3 - t2
print('inserts by quarter', ' '.join('%.2f' % x for x in ins), '| commits', ' '.join('%.2f' % x for x in com),
      '| last/first %.2f' % ((ins[3] + com[3]) / (ins[0] + com[0])))
db.close()
for suffix in ('', '-wal', '-shm'):
    if os.path.exists(path + suffix):
        os.remove(path + suffix)
os.rmdir(os.path.dirname(path))
