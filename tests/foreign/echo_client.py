#!/usr/bin/env python3
"""A foreign echo client written the socket guide's way: selectors,
non-blocking sockets and plain send()/recv(), nothing from sockdemo.

usage: echo_client.py HOST PORT CONNS [SIZE COUNT]
  Without SIZE each connection sends the guide's two messages; with it,
  COUNT messages of SIZE bytes each. Every echoed byte is compared with what
  was sent. Prints one line; exits 0 only if every connection was verified.
"""
import selectors
import socket
import sys
import time
import types

GUIDE = [b"Message 1 from client.", b"Message 2 from client."]


def payload(conn, index, size):
    seed = (conn * 131 + index * 17) % 251
    return bytes((seed + i * 7 + (i >> 9)) % 256 for i in range(size))


def main():
    host, port, conns = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    size = int(sys.argv[4]) if len(sys.argv) > 4 else 0
    count = int(sys.argv[5]) if len(sys.argv) > 5 else 0
    sel = selectors.DefaultSelector()
    for connid in range(conns):
        messages = list(GUIDE) if size == 0 else [payload(connid, m, size) for m in range(count)]
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setblocking(False)
        sock.connect_ex((host, port))
        data = types.SimpleNamespace(
            connid=connid, expected=b"".join(messages), messages=messages,
            outb=b"", received=bytearray(),
        )
        sel.register(sock, selectors.EVENT_READ | selectors.EVENT_WRITE, data=data)

    live, failures, verified = conns, [], 0
    deadline = time.monotonic() + 120
    while live > 0 and time.monotonic() < deadline:
        for key, mask in sel.select(timeout=1):
            sock, data = key.fileobj, key.data
            if mask & selectors.EVENT_READ:
                try:
                    chunk = sock.recv(65536)
                except ConnectionError as e:
                    chunk, failures = None, failures + [f"conn {data.connid}: {e}"]
                if chunk:
                    data.received += chunk
                if not chunk or len(data.received) >= len(data.expected):
                    if chunk is not None and bytes(data.received) != data.expected:
                        failures.append(f"conn {data.connid}: got {len(data.received)} bytes, "
                                        f"expected {len(data.expected)}, or they differ")
                    elif chunk is not None:
                        verified += 1
                    sel.unregister(sock)
                    sock.close()
                    live -= 1
                    continue
            if mask & selectors.EVENT_WRITE:
                if not data.outb and data.messages:
                    data.outb = data.messages.pop(0)
                if data.outb:
                    sent = sock.send(data.outb)
                    data.outb = data.outb[sent:]
                if not data.outb and not data.messages:
                    sel.modify(sock, selectors.EVENT_READ, data=data)
    if live > 0:
        failures.append(f"timed out with {live} connections unfinished")
    print(f"verified {verified} of {conns} connections" + (f"; {failures[0]}" if failures else ""))
    return 0 if verified == conns and not failures else 1


if __name__ == "__main__":
    sys.exit(main())
