/* echo_server: the single-threaded C reference for `deno task bench`.
 *
 * One epoll loop, level-triggered, non-blocking sockets. Each connection owns
 * a buffer of bytes read but not yet written back; while it holds any, the
 * connection stops reading (backpressure) and waits for EPOLLOUT, so a peer
 * that never reads costs this server one buffer, not unbounded memory.
 *
 * usage: echo_server PORT [HOST]      prints "Listening on HOST:PORT" when ready
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
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

struct conn {
  int fd;
  size_t start, end; /* owed bytes are buf[start..end) */
  unsigned char buf[BUF];
};

static int loop_fd;

static void watch(struct conn *c, unsigned events, int op) {
  struct epoll_event ev = {.events = events, .data.ptr = c};
  epoll_ctl(loop_fd, op, c->fd, &ev);
}

static void drop(struct conn *c) {
  close(c->fd); /* closing removes it from the epoll set */
  free(c);
}

/* Writes what is owed; returns -1 when the connection is gone. */
static int flush(struct conn *c) {
  while (c->start < c->end) {
    ssize_t n = send(c->fd, c->buf + c->start, c->end - c->start, MSG_NOSIGNAL);
    if (n < 0) return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
    c->start += (size_t)n;
  }
  c->start = c->end = 0;
  return 0;
}

static void on_ready(struct conn *c, unsigned events) {
  if (events & (EPOLLERR)) return drop(c);
  if (c->end > 0) { /* waiting to write */
    if (flush(c) < 0) return drop(c);
    if (c->end == 0) watch(c, EPOLLIN, EPOLL_CTL_MOD);
    return;
  }
  ssize_t n = recv(c->fd, c->buf, BUF, 0);
  if (n == 0) return drop(c); /* the peer is done; everything it sent went back */
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) return;
    return drop(c);
  }
  c->end = (size_t)n;
  if (flush(c) < 0) return drop(c);
  if (c->end > 0) watch(c, EPOLLOUT, EPOLL_CTL_MOD);
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: echo_server PORT [HOST]\n");
    return 2;
  }
  const char *host = argc > 2 ? argv[2] : "127.0.0.1";
  signal(SIGPIPE, SIG_IGN);
  int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), one = 1;
  setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  /* Several of these processes may share one port, one per core. */
  setsockopt(lfd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(atoi(argv[1]))};
  inet_pton(AF_INET, host, &addr.sin_addr);
  if (bind(lfd, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(lfd, 4096) < 0) {
    fprintf(stderr, "echo_server: cannot listen on %s:%s: %s\n", host, argv[1], strerror(errno));
    return 1;
  }
  socklen_t len = sizeof addr;
  getsockname(lfd, (struct sockaddr *)&addr, &len);
  printf("Listening on %s:%d\n", host, ntohs(addr.sin_port));
  fflush(stdout);
  loop_fd = epoll_create1(0);
  struct epoll_event lev = {.events = EPOLLIN, .data.ptr = NULL};
  epoll_ctl(loop_fd, EPOLL_CTL_ADD, lfd, &lev);
  struct epoll_event events[512];
  for (;;) {
    int n = epoll_wait(loop_fd, events, 512, -1);
    for (int i = 0; i < n; i++) {
      struct conn *c = events[i].data.ptr;
      if (c != NULL) {
        on_ready(c, events[i].events);
        continue;
      }
      for (;;) { /* accept all that wait */
        int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK);
        if (fd < 0) break;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        struct conn *nc = malloc(sizeof *nc);
        if (nc == NULL) {
          close(fd);
          continue;
        }
        nc->fd = fd;
        nc->start = nc->end = 0;
        watch(nc, EPOLLIN, EPOLL_CTL_ADD);
      }
    }
  }
}
