#!/usr/bin/env python3
"""Foreign peers for `connect --pipe`, on a free loopback port (printed first).

usage: pipe_peer.py banner   send a banner line, read one request line, answer it, close
       pipe_peer.py early    send "bye\\n" and FIN at once, then count what arrives until EOF
"""
import socket
import sys

mode = sys.argv[1]
server = socket.socket()
server.bind(("127.0.0.1", 0))
server.listen(1)
print(server.getsockname()[1], flush=True)
conn, _ = server.accept()
if mode == "banner":
    conn.sendall(b"220 sockdemo test banner\r\n")
    line = b""
    while not line.endswith(b"\n"):
        chunk = conn.recv(1)
        if not chunk:
            break
        line += chunk
    conn.sendall(b"you said: " + line)
    conn.close()
elif mode == "early":
    conn.sendall(b"bye\n")
    conn.shutdown(socket.SHUT_WR)
    total = 0
    while True:
        chunk = conn.recv(65536)
        if not chunk:
            break
        total += len(chunk)
    print(total, flush=True)
    conn.close()
