#!/usr/bin/env python3
"""Memory under attack: PEERS connections each send SIZE bytes to an echo
server and read nothing, while one good client does ping-pong; then every
peer reads and checks all it sent came back. Prints the server's RSS growth
(peak while the peers do not read) and the good client's worst round trip.

usage: budget_probe.py PORT SERVER_PID [PEERS [SIZE [HOLD_S]]]
  defaults: 1000 peers, 2 MB each, 8 s without reading
"""
import os
import selectors
import socket
import sys
import time


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def payload(i, size):
    block = bytes((i * 7 + j) % 251 for j in range(65536))
    return (block * (size // len(block) + 1))[:size]


def main():
    port, pid = int(sys.argv[1]), int(sys.argv[2])
    peers = int(sys.argv[3]) if len(sys.argv) > 3 else 1000
    size = int(sys.argv[4]) if len(sys.argv) > 4 else 2_000_000
    hold = float(sys.argv[5]) if len(sys.argv) > 5 else 8.0
    base = rss_kib(pid)
    sel = selectors.DefaultSelector()
    conns = []
    for i in range(peers):
        s = socket.create_connection(("127.0.0.1", port))
        s.setblocking(False)
        conns.append({"sock": s, "data": payload(i, size), "sent": 0, "got": bytearray()})
        sel.register(s, selectors.EVENT_WRITE, conns[-1])
    good = socket.create_connection(("127.0.0.1", port))
    good.settimeout(30)
    worst, pings, peak = 0.0, 0, base
    deadline = time.monotonic() + hold
    next_ping = 0.0
    # Phase 1: send, never read.
    while time.monotonic() < deadline:
        for key, _ in sel.select(timeout=0.01):
            c = key.data
            try:
                n = c["sock"].send(c["data"][c["sent"]:c["sent"] + 262144])
            except BlockingIOError:
                n = 0
            c["sent"] += n
            if c["sent"] == size:
                sel.unregister(c["sock"])
        now = time.monotonic()
        if now >= next_ping:
            t = time.monotonic()
            good.sendall(b"ping!")
            got = b""
            while len(got) < 5:
                got += good.recv(5 - len(got))
            worst = max(worst, time.monotonic() - t)
            pings += 1
            next_ping = now + 0.05
            peak = max(peak, rss_kib(pid))
    sent_before = sum(c["sent"] for c in conns)
    peak = max(peak, rss_kib(pid))
    # Phase 2: read everything back (sending the rest), and check it.
    for c in conns:
        try:
            sel.unregister(c["sock"])
        except KeyError:
            pass
        sel.register(c["sock"], selectors.EVENT_READ | (selectors.EVENT_WRITE if c["sent"] < size else 0), c)
    left = peers
    end = time.monotonic() + 300
    while left > 0 and time.monotonic() < end:
        for key, mask in sel.select(timeout=1):
            c = key.data
            s = c["sock"]
            if mask & selectors.EVENT_WRITE and c["sent"] < size:
                try:
                    c["sent"] += s.send(c["data"][c["sent"]:c["sent"] + 262144])
                except BlockingIOError:
                    pass
                if c["sent"] == size:
                    sel.modify(s, selectors.EVENT_READ, c)
            if mask & selectors.EVENT_READ:
                try:
                    b = s.recv(1 << 20)
                except BlockingIOError:
                    continue
                c["got"] += b
                if len(c["got"]) >= size:
                    sel.unregister(s)
                    left -= 1
    ok = sum(1 for c in conns if bytes(c["got"]) == c["data"])
    print(
        f"peers={peers} size={size} sent_while_not_reading={sent_before} "
        f"rss_before_mb={base / 1024:.0f} rss_peak_mb={peak / 1024:.0f} "
        f"growth_mb={(peak - base) / 1024:.0f} verified={ok}/{peers} "
        f"good_pings={pings} good_worst_ms={worst * 1000:.0f}"
    )
    for c in conns:
        c["sock"].close()
    good.close()
    sys.exit(0 if ok == peers else 1)


if __name__ == "__main__":
    main()
