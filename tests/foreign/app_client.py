#!/usr/bin/env python3
"""A foreign app-protocol client written from ../shared/PROTOCOL.md, sending
exactly the bytes the socket guide's client sends: json.dumps of the header
with keys in the order byteorder, content-type, content-encoding,
content-length, and json.dumps of {"action", "value"} as content.

usage: app_client.py HOST PORT COMMAND [ARGS]
  search VALUE      one request; prints the reply as a JSON line
  binary TEXT       one binary request; prints the reply as a JSON line
  pipeline N        N searches back to back on one connection, then reads N replies
  bytewise VALUE    one search sent one byte per send()
  raw HEX           sends raw bytes, prints every reply until the server closes
  body N            declares a binary body of N bytes and streams it; prints the reply
  cases HEX...      each raw case, then a good search on a new connection; a JSON line each
Each reply is printed as {"header": ..., "content": ...} (content as text);
the last line is "closed" when the server closed the connection.
"""
import json
import socket
import struct
import sys
import time

VALUES = ["morpheus", "ring", "\U0001f436", "nothing"]


def message(content, content_type, encoding):
    header = {
        "byteorder": sys.byteorder,
        "content-type": content_type,
        "content-encoding": encoding,
        "content-length": len(content),
    }
    h = json.dumps(header, ensure_ascii=False).encode("utf-8")
    return struct.pack(">H", len(h)) + h + content


def search(value):
    content = json.dumps({"action": "search", "value": value}, ensure_ascii=False).encode("utf-8")
    return message(content, "text/json", "utf-8")


class Reader:
    def __init__(self, sock):
        self.sock, self.buf, self.closed = sock, b"", False

    def need(self, n):
        while len(self.buf) < n and not self.closed:
            try:
                chunk = self.sock.recv(65536)
            except ConnectionResetError:
                chunk = b""
            if not chunk:
                self.closed = True
            self.buf += chunk
        return len(self.buf) >= n

    def reply(self):
        if not self.need(2):
            return None
        hlen = struct.unpack(">H", self.buf[:2])[0]
        if not self.need(2 + hlen):
            return None
        header = json.loads(self.buf[2:2 + hlen].decode("utf-8"))
        total = 2 + hlen + header["content-length"]
        if not self.need(total):
            return None
        content = self.buf[2 + hlen:total]
        self.buf = self.buf[total:]
        return {"header": header, "content": content.decode("utf-8", "replace")}


def exchange(host, port, command, arg):
    """One connection: sends what COMMAND says, returns (replies, closed)."""
    sock = socket.create_connection((host, port), timeout=30)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    reader = Reader(sock)
    expected_replies = 1
    if command == "search":
        sock.sendall(search(arg))
    elif command == "binary":
        sock.sendall(message(arg.encode("utf-8"), "binary/custom-client-binary-type", "binary"))
    elif command == "pipeline":
        expected_replies = int(arg)
        sock.sendall(b"".join(search(VALUES[i % len(VALUES)]) for i in range(expected_replies)))
    elif command == "bytewise":
        for b in search(arg):
            sock.send(bytes([b]))
            time.sleep(0.001)
    elif command == "raw":
        sock.sendall(bytes.fromhex(arg))
        expected_replies = 1000
    elif command == "body":
        size = int(arg)
        h = json.dumps({
            "byteorder": sys.byteorder,
            "content-type": "binary/custom-client-binary-type",
            "content-encoding": "binary",
            "content-length": size,
        }).encode()
        sock.sendall(struct.pack(">H", len(h)) + h)
        chunk = b"x" * 65536
        try:
            sent = 0
            while sent < size:
                sent += sock.send(chunk[: min(len(chunk), size - sent)])
        except (BrokenPipeError, ConnectionResetError):
            pass
    else:
        sys.exit(f"unknown command {command}")
    replies = []
    for _ in range(expected_replies):
        reply = reader.reply()
        if reply is None:
            break
        replies.append(reply)
    if command in ("raw", "body"):
        reader.need(len(reader.buf) + 1)
    sock.close()
    return replies, reader.closed and not reader.buf


def main():
    host, port, command = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    if command == "cases":
        # Each raw case on its own connection, each followed by a good search on a new one.
        for hexcase in sys.argv[4:]:
            replies, closed = exchange(host, port, "raw", hexcase)
            good, _ = exchange(host, port, "search", "morpheus")
            print(json.dumps({"replies": replies, "closed": closed, "good": good}, ensure_ascii=False))
        return
    replies, closed = exchange(host, port, command, sys.argv[4] if len(sys.argv) > 4 else "")
    for reply in replies:
        print(json.dumps(reply, ensure_ascii=False))
    if closed:
        print("closed")


if __name__ == "__main__":
    main()
