#!/usr/bin/env python3
"""A foreign UDP peer written with plain sockets.

usage: udp_peer.py echo PORT            serve: echo every datagram to its sender (until killed);
                                        prints "ready PORT" first (PORT 0: any free port)
       udp_peer.py send PORT SIZE...    send one datagram of each SIZE to 127.0.0.1:PORT from
                                        one socket and a second socket in turn, check each echo;
                                        prints "verified N" (exit 0) or what went wrong (exit 1)
"""
import socket
import sys


def echo(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", port))
    print("ready", s.getsockname()[1], flush=True)
    while True:
        data, addr = s.recvfrom(70000)
        s.sendto(data, addr)


def send(port, sizes):
    peers = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(2)]
    for p in peers:
        p.settimeout(5)
    for i, size in enumerate(sizes):
        peer = peers[i % 2]
        data = bytes((i * 7 + j) % 256 for j in range(size))
        peer.sendto(data, ("127.0.0.1", port))
        back, _ = peer.recvfrom(70000)
        if back != data:
            print(f"datagram {i}: {len(back)} bytes back, {size} sent")
            sys.exit(1)
    print(f"verified {len(sizes)}")


if __name__ == "__main__":
    if sys.argv[1] == "echo":
        echo(int(sys.argv[2]))
    else:
        send(int(sys.argv[2]), [int(s) for s in sys.argv[3:]])
