#!/usr/bin/env python3
"""A foreign peer for the relay tests: plain blocking sockets, nothing from sockdemo.

usage:
  relay_peer.py bulk HOST PORT BYTES     send BYTES pseudo-random bytes, then FIN; read
                                         everything back; "verified N bytes" if identical
  relay_peer.py count HOST PORT BYTES    send BYTES, keep the connection open, read until
                                         it ends: "received N, then reset|end of stream"
  relay_peer.py sink                     listen on a free port (printed first), take one
                                         connection, read until it ends: "got N, then ..."
  relay_peer.py attempts HOST PORT N     connect N times in turn, send a byte, read:
                                         one letter each, a (answered) or c (closed unanswered)
"""
import hashlib
import socket
import sys
import threading


def ending(sock):
    n = 0
    try:
        while True:
            b = sock.recv(65536)
            if not b:
                return n, "end of stream"
            n += len(b)
    except ConnectionResetError:
        return n, "reset"


def bulk(host, port, size):
    data = hashlib.shake_256(b"sockdemo relay").digest(size)
    sock = socket.create_connection((host, port))
    got = bytearray()

    def reader():
        while True:
            b = sock.recv(1 << 20)
            if not b:
                return
            got.extend(b)

    t = threading.Thread(target=reader)
    t.start()
    sock.sendall(data)
    sock.shutdown(socket.SHUT_WR)
    t.join()
    sock.close()
    if bytes(got) != data:
        print(f"MISMATCH: sent {len(data)} bytes, got {len(got)} back")
        sys.exit(1)
    print(f"verified {len(got)} bytes")


def count(host, port, size):
    sock = socket.create_connection((host, port))
    try:
        sock.sendall(bytes(size))
    except (ConnectionResetError, BrokenPipeError):
        pass
    n, how = ending(sock)
    print(f"received {n}, then {how}")


def sink():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    print(server.getsockname()[1], flush=True)
    conn, _ = server.accept()
    n, how = ending(conn)
    print(f"got {n}, then {how}", flush=True)


def attempts(host, port, n):
    out = []
    for _ in range(n):
        sock = socket.create_connection((host, port))
        sock.settimeout(10)
        try:
            sock.sendall(b"x")
            out.append("a" if sock.recv(1) == b"x" else "c")
        except ConnectionResetError:
            out.append("c")
        sock.close()
    print("".join(out))


if __name__ == "__main__":
    mode = sys.argv[1]
    if mode == "bulk":
        bulk(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    elif mode == "count":
        count(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    elif mode == "sink":
        sink()
    else:
        attempts(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
