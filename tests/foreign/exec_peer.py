#!/usr/bin/env python3
"""A foreign client for `serve --exec`, written with plain blocking sockets.

usage: exec_peer.py PORT CONNS MAX_SIZE TRANSFORM [close]
  Opens CONNS connections to 127.0.0.1:PORT, at most 50 at a time. Each sends
  a payload of its own (0 to MAX_SIZE bytes, a different size and content per
  connection), half-closes (shutdown SHUT_WR), reads to the end, and compares
  what came back with the payload passed through TRANSFORM: "same" (cat) or
  "upper" (tr a-z A-Z). Prints "verified N" and exits 0 when every connection
  got exactly that; otherwise prints the first difference and exits 1.
  With "close", a connection sends without half-closing and closes once all
  its bytes came back (for servers that end a connection at a half-close).
"""
import socket
import sys
import threading
from concurrent.futures import ThreadPoolExecutor


def payload(index, max_size):
    size = (index * 7919) % (max_size + 1)
    letters = b"abcdefghijklmnopqrstuvwxyz0123456789\n"
    return bytes(letters[(index + i * 13 + (i >> 7)) % len(letters)] for i in range(size))


def one(port, index, max_size, transform, half_close):
    sent = payload(index, max_size)
    expected = sent.upper() if transform == "upper" else sent
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        got = bytearray()
        # Send in a thread: a big payload fills the buffers both ways before
        # the child's output is read, as with any echo.
        def send():
            s.sendall(sent)
            if half_close:
                s.shutdown(socket.SHUT_WR)
        writer = threading.Thread(target=send)
        writer.start()
        while half_close or len(got) < len(expected):
            chunk = s.recv(65536)
            if not chunk:
                break
            got += chunk
        writer.join()
    if bytes(got) != expected:
        at = next((i for i in range(min(len(got), len(expected))) if got[i] != expected[i]),
                  min(len(got), len(expected)))
        return f"connection {index}: {len(got)} bytes back, {len(expected)} expected, first difference at {at}"
    return None


def main():
    port, conns, max_size, transform = (int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]),
                                        sys.argv[4])
    half_close = sys.argv[5:6] != ["close"]
    with ThreadPoolExecutor(max_workers=50) as pool:
        failures = [f for f in pool.map(lambda i: one(port, i, max_size, transform, half_close), range(conns))
                    if f is not None]
    if failures:
        print(failures[0])
        sys.exit(1)
    print(f"verified {conns}")


if __name__ == "__main__":
    main()
