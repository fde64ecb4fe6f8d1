#!/usr/bin/env python3
"""Each typeahead query of one length over HTTP, seven times, from one keep-alive connection: per-query medians, to
tell queries that are slow every time from a slow moment.
Usage: bench/typeahead_http_probe.py PORT LETTERS TOKEN_FILE QUERIES.txt   (QUERIES.txt from bench/candidates_csv.py)
"""
import http.client, statistics, sys, time, urllib.parse

port, letters, token_file, queries_file = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
token = open(token_file).read().strip()
queries = [line.rstrip("\n").split("\t", 1)[1] for line in open(queries_file) if line.split("\t", 1)[0] == letters]
conn = http.client.HTTPConnection("127.0.0.1", port)


def get(q):
    started = time.perf_counter()
    conn.request("GET", "/api/v1/candidates?q=" + urllib.parse.quote(q), headers={"Authorization": "Bearer " + token})
    res = conn.getresponse()
    res.read()
    assert res.status == 200, res.status
    return (time.perf_counter() - started) * 1000


for q in queries:
    get(q)
results = sorted((statistics.median(times), min(times), max(times), q) for q in queries for times in [[get(q) for _ in range(7)]])
medians = [r[0] for r in results]
print(f"{letters} letters: {len(results)} queries, medians of 7: p50 {medians[len(medians) // 2]:.3f} ms, "
      f"p99 {medians[int(len(medians) * 0.99)]:.3f} ms")
for r in results[-5:]:
    print("  %.3f ms (min %.3f, max %.3f) %r" % r)
