#!/usr/bin/env python3
"""Memory under attack, app protocol: PEERS connections each send one binary
request of SIZE content bytes at once to `serve --protocol app`, then read
their reply. Prints the server's peak RSS growth and how many heard a reply,
how many heard {"error": "server busy"}, and how many got neither.

usage: app_budget_probe.py PORT SERVER_PID [PEERS [SIZE [binary|json]]]
  defaults: 100 peers, 16 MB each, binary (the server holds 10 bytes of each;
  json content, {"action": "search", "value": "xx..."}, is held whole)
"""
import json
import selectors
import socket
import struct
import sys
import time

from budget_probe import rss_kib  # beside this file


def request(size, kind):
    if kind == "json":
        frame = b'{"action": "search", "value": "'
        content = frame + b"x" * (size - len(frame) - 2) + b'"}'
        ctype, encoding = "text/json", "utf-8"
    else:
        content = bytes(size)
        ctype, encoding = "binary/custom-client-binary-type", "binary"
    header = json.dumps({
        "byteorder": "little",
        "content-type": ctype,
        "content-encoding": encoding,
        "content-length": len(content),
    }).encode()
    return struct.pack(">H", len(header)) + header + content


def reply_of(buf):
    """The reply's content as text once whole, else None."""
    if len(buf) < 2:
        return None
    hlen = struct.unpack(">H", buf[:2])[0]
    if len(buf) < 2 + hlen:
        return None
    header = json.loads(buf[2:2 + hlen])
    end = 2 + hlen + header["content-length"]
    return buf[2 + hlen:end].decode("utf-8", "replace") if len(buf) >= end else None


def main():
    port, pid = int(sys.argv[1]), int(sys.argv[2])
    peers = int(sys.argv[3]) if len(sys.argv) > 3 else 100
    size = int(sys.argv[4]) if len(sys.argv) > 4 else 16_000_000
    kind = sys.argv[5] if len(sys.argv) > 5 else "binary"
    data = memoryview(request(size, kind))
    base = peak = rss_kib(pid)
    sel = selectors.DefaultSelector()
    conns = []
    for _ in range(peers):
        s = socket.create_connection(("127.0.0.1", port))
        s.setblocking(False)
        c = {"sock": s, "sent": 0, "got": bytearray(), "reply": None}
        conns.append(c)
        sel.register(s, selectors.EVENT_READ | selectors.EVENT_WRITE, c)
    left, end, next_rss = peers, time.monotonic() + 120, 0.0
    while left > 0 and time.monotonic() < end:
        for key, mask in sel.select(timeout=0.05):
            c, s = key.data, key.data["sock"]
            if mask & selectors.EVENT_WRITE:
                try:
                    c["sent"] += s.send(data[c["sent"]:c["sent"] + 262144])
                except (BlockingIOError, ConnectionError):
                    pass
                if c["sent"] == len(data):
                    sel.modify(s, selectors.EVENT_READ, c)
            if mask & selectors.EVENT_READ:
                try:
                    b = s.recv(65536)
                except BlockingIOError:
                    continue
                except ConnectionError:
                    b = b""
                c["got"] += b
                c["reply"] = reply_of(bytes(c["got"]))
                if c["reply"] is not None or not b:
                    sel.unregister(s)
                    s.close()
                    left -= 1
        now = time.monotonic()
        if now >= next_rss:
            peak, next_rss = max(peak, rss_kib(pid)), now + 0.05
    busy = sum(1 for c in conns if c["reply"] == '{"error":"server busy"}')
    answered = sum(1 for c in conns if c["reply"] is not None) - busy
    print(
        f"peers={peers} size={size} kind={kind} rss_before_mb={base / 1024:.0f} "
        f"rss_peak_mb={peak / 1024:.0f} growth_mb={(peak - base) / 1024:.0f} "
        f"answered={answered} busy={busy} neither={peers - answered - busy}"
    )
    sys.exit(0 if answered + busy == peers else 1)


if __name__ == "__main__":
    main()
