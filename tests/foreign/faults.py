#!/usr/bin/env python3
"""Misbehaving peers for the fault suite, written with plain sockets.

usage: faults.py HOST PORT FAULT [ARG]
  reset-while-writing MB  send MB megabytes without reading, so the server is
                          writing back into full buffers, then reset (RST)
  flood MB                send up to MB megabytes and never read; stop when the
                          server stops taking bytes for 2 s; print how many it took
  silent N SECONDS        open N connections, send one byte on each, say "ready",
                          stay silent for SECONDS, then close
  reset-many N            open N connections at once, then reset them all
Prints one line; exits 0 when the fault was delivered.
"""
import socket
import struct
import sys
import time

LINGER_RESET = struct.pack("ii", 1, 0)  # SO_LINGER on, 0 s: close() sends RST


def reset(sock):
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, LINGER_RESET)
    sock.close()


def main():
    host, port, fault = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    args = sys.argv[4:]
    if fault == "reset-while-writing":
        sock = socket.create_connection((host, port))
        sock.setblocking(False)
        chunk, sent, deadline = b"r" * 65536, 0, time.time() + 5
        while sent < int(args[0]) << 20 and time.time() < deadline:
            try:
                sent += sock.send(chunk)
            except BlockingIOError:
                time.sleep(0.01)
        reset(sock)
        print(f"reset after sending {sent} bytes")
    elif fault == "flood":
        sock = socket.create_connection((host, port))
        sock.setblocking(False)
        chunk, sent, last = b"f" * 65536, 0, time.time()
        while sent < int(args[0]) << 20 and time.time() - last < 2:
            try:
                sent += sock.send(chunk)
                last = time.time()
            except BlockingIOError:
                time.sleep(0.01)
        print(f"server took {sent} bytes and then stopped reading")
        sock.close()
    elif fault == "silent":
        socks = []
        for _ in range(int(args[0])):
            s = socket.create_connection((host, port))
            s.send(b"x")
            socks.append(s)
        print("ready", flush=True)
        time.sleep(float(args[1]))
        for s in socks:
            s.close()
        print(f"closed {len(socks)} silent connections")
    elif fault == "reset-many":
        socks = [socket.create_connection((host, port)) for _ in range(int(args[0]))]
        for s in socks:
            reset(s)
        print(f"reset {len(socks)} connections")
    else:
        sys.exit(f"unknown fault {fault}")


if __name__ == "__main__":
    main()
