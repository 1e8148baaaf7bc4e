/*
 * A UDP echo server in C, for measuring `connect --udp` against a neutral
 * peer: every datagram goes back to its sender. Not part of sockdemo.
 *
 * Build: gcc -O2 -o udp_echo bench/udp_echo.c
 * Usage: udp_echo PORT   (on 127.0.0.1)
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: udp_echo PORT\n");
    return 2;
  }
  int s = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(atoi(argv[1]))};
  inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
  int size = 4 << 20;
  setsockopt(s, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  if (bind(s, (void *)&a, sizeof a)) {
    perror("bind");
    return 1;
  }
  static char buf[65536];
  for (;;) {
    struct sockaddr_in from;
    socklen_t len = sizeof from;
    ssize_t n = recvfrom(s, buf, sizeof buf, 0, (void *)&from, &len);
    if (n >= 0) sendto(s, buf, n, 0, (void *)&from, len);
  }
}
