/*
 * The floor of any TCP relay that reads and writes (no splice): a
 * single-threaded epoll relay in C, one 64 KiB buffer per direction, nothing
 * else. Not part of sockdemo: it shows how fast a relay that makes the same
 * system calls as sockdemo's (and Toxiproxy's) can be on a given machine.
 *
 * Build: gcc -O2 -o relay_floor bench/relay_floor.c
 * Usage: relay_floor LISTEN_PORT UPSTREAM_PORT   (both on 127.0.0.1)
 * The upstream dial blocks (loopback answers at once); a half-close passes
 * through as a shutdown; a pair closes when both directions ended or on error.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define BUF (64 * 1024)

struct side {
  int fd;
  struct side *peer;
  char buf[BUF]; /* bytes read from this side, owed to the peer */
  size_t off, len;
  int eof, shut, done;
  struct pair *pair;
};
struct pair { struct side a, b; int open; };

static int ep;

static void want(struct side *s) {
  struct epoll_event e = {0};
  /* Read while nothing is owed to the peer; write while the peer owes us. */
  if (!s->eof && s->len == 0) e.events |= EPOLLIN;
  if (s->peer->len > 0) e.events |= EPOLLOUT;
  e.data.ptr = s;
  epoll_ctl(ep, EPOLL_CTL_MOD, s->fd, &e);
}

/* Returns -1 when the pair is gone. */
static int flush(struct side *to) {
  struct side *from = to->peer;
  while (from->len > 0) {
    ssize_t n = send(to->fd, from->buf + from->off, from->len, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EAGAIN) return 0;
      return -1;
    }
    from->off += n;
    from->len -= n;
  }
  from->off = 0;
  if (from->eof && !to->shut) {
    shutdown(to->fd, SHUT_WR);
    to->shut = 1;
  }
  return 0;
}

static int onevent(struct side *s, unsigned ev) {
  if (ev & (EPOLLERR)) return -1;
  if (ev & EPOLLOUT && flush(s) < 0) return -1;
  if (ev & (EPOLLIN | EPOLLHUP) && !s->eof && s->len == 0) {
    ssize_t n = recv(s->fd, s->buf, BUF, 0);
    if (n < 0 && errno != EAGAIN) return -1;
    if (n == 0) s->eof = 1;
    if (n > 0) s->len = n;
    if (flush(s->peer) < 0) return -1;
  }
  if (s->eof && s->peer->eof && s->len == 0 && s->peer->len == 0) return -1;
  want(s);
  want(s->peer);
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 3) { fprintf(stderr, "usage: relay_floor LISTEN_PORT UPSTREAM_PORT\n"); return 2; }
  signal(SIGPIPE, SIG_IGN);
  struct sockaddr_in la = {.sin_family = AF_INET, .sin_port = htons(atoi(argv[1]))};
  struct sockaddr_in ua = {.sin_family = AF_INET, .sin_port = htons(atoi(argv[2]))};
  inet_pton(AF_INET, "127.0.0.1", &la.sin_addr);
  inet_pton(AF_INET, "127.0.0.1", &ua.sin_addr);
  int ls = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), one = 1;
  setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(ls, (void *)&la, sizeof la) || listen(ls, 4096)) { perror("bind/listen"); return 1; }
  ep = epoll_create1(0);
  struct epoll_event le = {.events = EPOLLIN, .data.ptr = NULL};
  epoll_ctl(ep, EPOLL_CTL_ADD, ls, &le);
  struct epoll_event evs[256];
  struct pair *closed[256];
  for (;;) {
    int n = epoll_wait(ep, evs, 256, -1), nclosed = 0;
    for (int i = 0; i < n; i++) {
      struct side *s = evs[i].data.ptr;
      if (s == NULL) {
        for (;;) {
          int c = accept4(ls, NULL, NULL, SOCK_NONBLOCK);
          if (c < 0) break;
          int u = socket(AF_INET, SOCK_STREAM, 0);
          if (connect(u, (void *)&ua, sizeof ua) < 0) { close(u); close(c); continue; }
          fcntl(u, F_SETFL, O_NONBLOCK);
          setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
          setsockopt(u, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
          struct pair *p = calloc(1, sizeof *p);
          p->a.fd = c; p->b.fd = u; p->a.peer = &p->b; p->b.peer = &p->a;
          p->a.pair = p->b.pair = p;
          struct epoll_event e = {.events = EPOLLIN, .data.ptr = &p->a};
          epoll_ctl(ep, EPOLL_CTL_ADD, c, &e);
          e.data.ptr = &p->b;
          epoll_ctl(ep, EPOLL_CTL_ADD, u, &e);
        }
        continue;
      }
      if (s->pair->open < 0) continue; /* closed earlier in this batch */
      if (onevent(s, evs[i].events) < 0) {
        struct pair *p = s->pair;
        p->open = -1;
        /* Events for the other side may follow in this batch: free after it. */
        epoll_ctl(ep, EPOLL_CTL_DEL, p->a.fd, NULL);
        epoll_ctl(ep, EPOLL_CTL_DEL, p->b.fd, NULL);
        close(p->a.fd);
        close(p->b.fd);
        closed[nclosed++] = p;
      }
    }
    /* Events of a pair closed in this batch may follow it there: free it after. */
    for (int i = 0; i < nclosed; i++) free(closed[i]);
  }
}
