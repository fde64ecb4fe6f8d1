"""A webhook receiver for the tests: every POST is verified with the Standard Webhooks reference library
(`standardwebhooks` from PyPI) and written, with the verdict, as one JSON line to LOG. The secret is read from
SECRET_FILE at each request (the endpoint's secret is known only once it exists); the status to answer with from
STATUS_FILE (default 200).

Usage: python3 webhook_receiver.py PORT SECRET_FILE STATUS_FILE LOG
"""
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook

port, secret_file, status_file, log = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]


def read(path, default):
    try:
        with open(path, encoding="utf-8") as f:
            return f.read().strip() or default
    except FileNotFoundError:
        return default


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", "0")))
        headers = {k.lower(): v for k, v in self.headers.items()}
        try:
            Webhook(read(secret_file, "")).verify(body, headers)
            verified, error = True, None
        except Exception as e:  # the verdict is what the test checks
            verified, error = False, str(e)
        entry = {"verified": verified, "error": error, "id": headers.get("webhook-id"),
                 "body": body.decode("utf-8", "replace"), "user_agent": headers.get("user-agent")}
        with open(log, "a", encoding="utf-8") as f:
            f.write(json.dumps(entry) + "\n")
        status = int(read(status_file, "200"))
        self.send_response(status)
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()
