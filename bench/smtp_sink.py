"""A lean SMTP server for the benchmarks: aiosmtpd's protocol, and each message written as it arrived (an
X-RcptTo line per recipient, then the data) into DIR/new/<n>.eml without parsing it — aiosmtpd's Mailbox handler
parses every message and was the bottleneck at a few hundred messages a second.

Usage: python3 bench/smtp_sink.py HOST:PORT DIR
"""
import asyncio
import itertools
import os
import sys

from aiosmtpd.controller import Controller


class Sink:
    def __init__(self, directory):
        self.new = os.path.join(directory, "new")
        os.makedirs(self.new, exist_ok=True)
        self.counter = itertools.count()

    async def handle_DATA(self, server, session, envelope):
        n = next(self.counter)
        head = "".join(f"X-RcptTo: {r}\r\n" for r in envelope.rcpt_tos).encode()
        tmp = os.path.join(self.new, f".{n}.tmp")
        with open(tmp, "wb") as f:
            f.write(head)
            f.write(envelope.original_content or envelope.content)
        os.rename(tmp, os.path.join(self.new, f"{n}.eml"))
        return "250 OK"


def main():
    host, port = sys.argv[1].rsplit(":", 1)
    controller = Controller(Sink(sys.argv[2]), hostname=host, port=int(port))
    controller.start()
    try:
        asyncio.get_event_loop().run_forever()
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
