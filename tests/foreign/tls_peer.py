#!/usr/bin/env python3
"""Foreign TLS peers with Python's ssl module.

usage: tls_peer.py echo-client PORT CA      verify echo of 100 KB, print "echo verified"
       tls_peer.py app-client PORT CA       one app request, search ring, print the result
       tls_peer.py echo-server CERT KEY     print a free port, echo one connection until EOF
"""
import json
import socket
import ssl
import struct
import sys

mode = sys.argv[1]


def client(port, ca):
    ctx = ssl.create_default_context(cafile=ca)
    raw = socket.create_connection(("127.0.0.1", port))
    return ctx.wrap_socket(raw, server_hostname="localhost")


def read_exactly(s, n):
    got = b""
    while len(got) < n:
        chunk = s.recv(n - len(got))
        if not chunk:
            raise EOFError("closed after %d of %d bytes" % (len(got), n))
        got += chunk
    return got


if mode == "echo-client":
    s = client(int(sys.argv[2]), sys.argv[3])
    sent = bytes(range(256)) * 400
    s.sendall(sent)
    got = read_exactly(s, len(sent))
    print("echo verified" if got == sent else "echo mismatch")
elif mode == "app-client":
    s = client(int(sys.argv[2]), sys.argv[3])
    content = json.dumps({"action": "search", "value": "ring"}).encode()
    header = json.dumps({"byteorder": "little", "content-type": "text/json",
                         "content-encoding": "utf-8", "content-length": len(content)}).encode()
    s.sendall(struct.pack(">H", len(header)) + header + content)
    (hlen,) = struct.unpack(">H", read_exactly(s, 2))
    reply_header = json.loads(read_exactly(s, hlen))
    reply = json.loads(read_exactly(s, reply_header["content-length"]))
    print(reply["result"])
elif mode == "echo-server":
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(sys.argv[2], sys.argv[3])
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    print(server.getsockname()[1], flush=True)
    conn, _ = server.accept()
    s = ctx.wrap_socket(conn, server_side=True)
    while True:
        data = s.recv(65536)
        if not data:
            break
        s.sendall(data)
    s.close()
