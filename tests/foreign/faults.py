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
  half-close BYTES        with a small receive buffer, send BYTES without
                          reading, half-close, then read the echo to its end;
                          print "verified" or where it went wrong
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
    elif fault == "half-close":
        n = int(args[0])
        sock = socket.socket()
        # A small window back to us, so the server still owes bytes when our FIN arrives.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.connect((host, port))
        data = bytes((i * 13 + (i >> 12)) & 0xFF for i in range(n))
        sock.sendall(data)
        sock.shutdown(socket.SHUT_WR)
        got = bytearray()
        while True:
            b = sock.recv(65536)
            if not b:
                break
            got += b
            # Read slowly, so the server still owes bytes when it reaches our FIN.
            time.sleep(0.002)
        sock.close()
        if bytes(got) == data:
            print("verified")
        else:
            bad = next((i for i in range(min(len(got), n)) if got[i] != data[i]), min(len(got), n))
            print(f"got {len(got)} of {n} bytes back, first wrong at byte {bad}")
    else:
        sys.exit(f"unknown fault {fault}")


if __name__ == "__main__":
    main()
