/* load_client: the neutral C load client of `deno task bench`.
 *
 * One epoll loop drives CONNS connections. Every byte that comes back is
 * checked against what was sent, and every round trip is timed.
 *
 * usage: load_client MODE HOST PORT CONNS MSGS SIZE DEPTH TIMEOUT_S [SECONDS]
 *   echo   each connection sends MSGS messages of SIZE bytes, DEPTH in flight,
 *          and compares the echoed stream with what it sent
 *   app    each of CONNS clients makes MSGS `search morpheus` requests of the app
 *          protocol (../shared/PROTOCOL.md), a new connection per request
 *   appka  the same on one connection per client (keep-alive), DEPTH in flight
 * With SECONDS, MSGS is ignored: the connections run until SECONDS have passed
 * in the measured window, which opens once every connection has had a reply
 * and a second has gone by (set-up and warm-up left out), so the rate is the
 * steady state, not a mix with the ramp up and the tail.
 * prints one line: msgs_per_s= MBps= (both directions, millions) p50_us= p99_us=
 * max_us= (over the replies measured), first_p50_us= first_p99_us= first_max_us=
 * (over the connections: from the dial to its first reply, so a connection the
 * server starves shows; -1 when one never had a reply), with SECONDS
 * min_served_per_s= (the fewest connections that had a reply within one whole
 * second of the window: CONNS when every connection was served every second),
 * and errors=; exits 0 only if everything was verified within TIMEOUT_S.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum mode { ECHO, APP, APPKA };

struct client {
  int fd, index;
  long out, in;       /* bytes sent and received on this connection */
  long total;         /* bytes this connection sends in all */
  long started, done; /* messages started and answered (in all, for app) */
  long conn_done;     /* app: answered on the current connection */
  double *sent_at;    /* send time of each message in flight, a ring of DEPTH */
  unsigned char *reply; /* app: the reply being read */
  long reply_len, reply_need;
  int handshaking; /* connect() issued, not yet writable */
  double dialed_at; /* when its first connect() was issued */
  long served_sec;  /* the last second of the window in which it had a reply, -1: none */
};

static enum mode MODE;
static const char *HOST;
static int PORT, EP;
static long CONNS, MSGS, SIZE, DEPTH;
static long live, errors, answered, bytes_moved;
/* Connects in progress at most: a burst of thousands of SYNs overflows a slow
 * server's accept queue, and the dropped ones wait out SYN retransmits (1 s,
 * 3 s, 7 s...), which would measure the kernel's backoff, not the server. */
#define MAX_DIALING 256
static long dialing, next_dial;
static struct client *clients;
static double *lat;
static long nlat, caplat;
/* The measured window: everything counts in fixed-count runs; with SECONDS, only inside it. */
static int measuring = 1;
static long warmed; /* connections that had a reply */
static double *first_reply; /* per connection: dial to first reply, in microseconds */
/* With SECONDS: connections that had a reply in each whole second of the window. */
static long *served_in, window_secs;
static double window_start;

static void count_bytes(long n) {
  if (measuring) bytes_moved += n;
}

static double now_s(void);

static void count_reply(struct client *c, double latency_us) {
  if (c->done == 1) { /* called after done++ */
    warmed++;
    first_reply[c->index] = (now_s() - c->dialed_at) * 1e6;
  }
  if (!measuring) return;
  if (served_in != NULL) {
    long sec = (long)(now_s() - window_start);
    if (sec < window_secs && sec != c->served_sec) {
      c->served_sec = sec;
      served_in[sec]++;
    }
  }
  if (nlat < caplat) lat[nlat++] = latency_us;
  answered++;
}
static unsigned char *request;
static long request_len;
/* The answer to `search morpheus`, whatever the JSON spacing around it. */
static const char RESULT_KEY[] = "\"result\"";
static const char ANSWER[] = "\"Follow the white rabbit. \xf0\x9f\x90\xb0\"";

static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

/* The byte at `offset` of connection `index`'s stream: cheap, and differs between connections. */
static inline unsigned char pattern(long index, long offset) {
  uint64_t x = (uint64_t)(offset + index * 1000003L);
  return (unsigned char)((x * 2654435761u) >> 13);
}

static void dial(struct client *c);

/* A connect finished (or failed): room for the next one. */
static void handshake_over(struct client *c) {
  if (!c->handshaking) return;
  c->handshaking = 0;
  dialing--;
  while (dialing < MAX_DIALING && next_dial < CONNS) dial(&clients[next_dial++]);
}

static void fail(struct client *c, const char *why) {
  if (errors++ < 5) fprintf(stderr, "load_client: connection %d: %s\n", c->index + 1, why);
  handshake_over(c);
  close(c->fd);
  c->fd = -1;
  live--;
}

static void dial(struct client *c) {
  c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  int one = 1;
  setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(PORT)};
  inet_pton(AF_INET, HOST, &a.sin_addr);
  if (connect(c->fd, (struct sockaddr *)&a, sizeof a) < 0 && errno != EINPROGRESS) {
    perror("load_client: connect");
    exit(1);
  }
  if (c->dialed_at == 0) c->dialed_at = now_s();
  c->out = c->in = c->conn_done = c->reply_len = 0;
  c->reply_need = 2;
  c->handshaking = 1;
  dialing++;
  struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.ptr = c};
  epoll_ctl(EP, EPOLL_CTL_ADD, c->fd, &ev);
}

static void want_write(struct client *c, int yes) {
  struct epoll_event ev = {.events = EPOLLIN | (yes ? EPOLLOUT : 0), .data.ptr = c};
  epoll_ctl(EP, EPOLL_CTL_MOD, c->fd, &ev);
}

/* Messages this connection may have started by now: DEPTH past the answered ones. */
static long allowed(struct client *c) {
  long cap = c->done + DEPTH;
  return cap < MSGS ? cap : MSGS;
}

static void send_echo(struct client *c) {
  static unsigned char chunk[65536];
  while (c->out < c->total) {
    long msg = c->out / SIZE;
    if (msg >= allowed(c)) break;
    if (c->out % SIZE == 0 && msg == c->started) c->sent_at[c->started++ % DEPTH] = now_s();
    long until = (msg + 1) * SIZE, n = until - c->out;
    if (n > (long)sizeof chunk) n = sizeof chunk;
    for (long i = 0; i < n; i++) chunk[i] = pattern(c->index, c->out + i);
    ssize_t w = send(c->fd, chunk, n, MSG_NOSIGNAL);
    if (w < 0) {
      if (errno == EAGAIN) break;
      return fail(c, strerror(errno));
    }
    c->out += w;
    count_bytes(w);
  }
  want_write(c, c->out < c->total && c->out / SIZE < allowed(c));
}

static void read_echo(struct client *c) {
  static unsigned char buf[65536];
  ssize_t n = recv(c->fd, buf, sizeof buf, 0);
  if (n == 0) return fail(c, "closed by the server before every byte came back");
  if (n < 0) {
    if (errno != EAGAIN) fail(c, strerror(errno));
    return;
  }
  if (c->in + n > c->out) return fail(c, "more bytes came back than were sent");
  for (long i = 0; i < n; i++) {
    if (buf[i] != pattern(c->index, c->in + i)) return fail(c, "echo mismatch");
  }
  c->in += n;
  count_bytes(n);
  double t = now_s();
  while (c->done < c->started && c->in >= (c->done + 1) * SIZE) {
    c->done++;
    count_reply(c, (t - c->sent_at[(c->done - 1) % DEPTH]) * 1e6);
  }
  if (c->in == c->total) {
    close(c->fd);
    c->fd = -1;
    live--;
    return;
  }
  send_echo(c);
}

static void send_app(struct client *c) {
  long per_conn = MODE == APP ? 1 : MSGS;
  while (c->started < MSGS && c->started - c->done < (MODE == APP ? 1 : DEPTH) &&
         c->out < per_conn * request_len) {
    long at = c->out % request_len;
    if (at == 0) c->sent_at[c->started++ % DEPTH] = now_s();
    ssize_t w = send(c->fd, request + at, request_len - at, MSG_NOSIGNAL);
    if (w < 0) {
      if (errno == EAGAIN) {
        if (at == 0) c->started--;
        break;
      }
      return fail(c, strerror(errno));
    }
    c->out += w;
    count_bytes(w);
    if (w < request_len - at) break;
  }
  want_write(c, c->out % request_len != 0);
}

static void read_app(struct client *c) {
  for (;;) {
    ssize_t n = recv(c->fd, c->reply + c->reply_len, c->reply_need - c->reply_len, 0);
    if (n == 0) return fail(c, "closed by the server before the reply");
    if (n < 0) {
      if (errno != EAGAIN) fail(c, strerror(errno));
      return;
    }
    c->reply_len += n;
    count_bytes(n);
    if (c->reply_len < c->reply_need) continue;
    if (c->reply_need == 2) { /* the proto-header: now the JSON header's length is known */
      c->reply_need = 2 + (c->reply[0] << 8 | c->reply[1]);
      continue;
    }
    unsigned char *header = c->reply + 2;
    long header_len = (c->reply[0] << 8 | c->reply[1]);
    if (c->reply_need == 2 + header_len) {
      c->reply[c->reply_need] = 0;
      char *field = strstr((char *)header, "\"content-length\"");
      if (field == NULL) return fail(c, "a reply header without content-length");
      long content = strtol(strchr(field, ':') + 1, NULL, 10);
      if (content <= 0 || content > 4096) return fail(c, "a reply of an unexpected length");
      c->reply_need += content;
      continue;
    }
    long content_len = c->reply_need - 2 - header_len;
    unsigned char *body = c->reply + 2 + header_len;
    if (memmem(body, content_len, RESULT_KEY, strlen(RESULT_KEY)) == NULL ||
        memmem(body, content_len, ANSWER, strlen(ANSWER)) == NULL) {
      return fail(c, "a wrong reply");
    }
    c->done++;
    count_reply(c, (now_s() - c->sent_at[(c->done - 1) % DEPTH]) * 1e6);
    c->conn_done++;
    c->reply_len = 0;
    c->reply_need = 2;
    if (c->done == MSGS || MODE == APP) {
      close(c->fd);
      c->fd = -1;
      if (c->done == MSGS) {
        live--;
        return;
      }
      return dial(c); /* the guide's client: a new connection per request */
    }
    send_app(c);
  }
}

static int by_value(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
  if (argc != 9 && argc != 10) {
    fprintf(stderr,
            "usage: load_client echo|app|appka HOST PORT CONNS MSGS SIZE DEPTH TIMEOUT_S [SECONDS]\n");
    return 2;
  }
  MODE = strcmp(argv[1], "app") == 0 ? APP : strcmp(argv[1], "appka") == 0 ? APPKA : ECHO;
  HOST = argv[2];
  PORT = atoi(argv[3]);
  CONNS = atol(argv[4]);
  MSGS = atol(argv[5]);
  SIZE = atol(argv[6]);
  DEPTH = atol(argv[7]) < 1 ? 1 : atol(argv[7]);
  double timeout = atof(argv[8]);
  double seconds = argc == 10 ? atof(argv[9]) : 0;
  if (seconds > 0) {
    MSGS = (1L << 40) / (SIZE > 0 ? SIZE : 1); /* never runs out within the window */
    measuring = 0;
  }
  if (MODE == ECHO && SIZE < 1) {
    fprintf(stderr, "load_client: echo needs SIZE of 1 or more\n");
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  const char *content = "{\"action\": \"search\", \"value\": \"morpheus\"}";
  char header[256];
  int header_len = snprintf(header, sizeof header,
                            "{\"byteorder\": \"little\", \"content-type\": \"text/json\", "
                            "\"content-encoding\": \"utf-8\", \"content-length\": %zu}",
                            strlen(content));
  request_len = 2 + header_len + (long)strlen(content);
  request = malloc(request_len);
  request[0] = header_len >> 8;
  request[1] = header_len & 0xff;
  memcpy(request + 2, header, header_len);
  memcpy(request + 2 + header_len, content, strlen(content));
  caplat = seconds > 0 ? 1L << 23 : CONNS * MSGS;
  lat = malloc(sizeof *lat * caplat);
  first_reply = malloc(sizeof *first_reply * CONNS);
  for (long i = 0; i < CONNS; i++) first_reply[i] = -1;
  if (seconds > 0) {
    window_secs = (long)seconds;
    served_in = calloc(window_secs + 1, sizeof *served_in);
  }
  clients = calloc(CONNS, sizeof *clients);
  EP = epoll_create1(0);
  double start = now_s();
  for (long i = 0; i < CONNS; i++) {
    struct client *c = &clients[i];
    c->index = (int)i;
    c->total = MSGS * SIZE;
    c->sent_at = malloc(sizeof(double) * DEPTH);
    c->served_sec = -1;
    c->reply = malloc(4096 + 2 + 65536);
  }
  while (next_dial < CONNS && dialing < MAX_DIALING) dial(&clients[next_dial++]);
  live = CONNS;
  struct epoll_event events[1024];
  while (live > 0) {
    if (seconds > 0) {
      double t = now_s();
      if (!measuring && warmed == CONNS && t - start >= 1) {
        measuring = 1;
        window_start = t;
      }
      if (measuring && t - window_start >= seconds) break;
    }
    if (now_s() - start > timeout) {
      fprintf(stderr,
              "load_client: timed out after %.0f s with %ld connections unfinished "
              "(%ld of %ld had a reply)\n",
              timeout, live, warmed, CONNS);
      errors += live;
      break;
    }
    int n = epoll_wait(EP, events, 1024, 1000);
    for (int i = 0; i < n; i++) {
      struct client *c = events[i].data.ptr;
      if (c->fd < 0) continue;
      if (c->handshaking && !(events[i].events & EPOLLERR)) handshake_over(c);
      if (events[i].events & EPOLLERR) {
        int err = 0;
        socklen_t len = sizeof err;
        getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
        fail(c, strerror(err));
        continue;
      }
      if (events[i].events & EPOLLIN) {
        if (MODE == ECHO) read_echo(c);
        else read_app(c);
      }
      if (c->fd >= 0 && (events[i].events & EPOLLOUT)) {
        if (MODE == ECHO) send_echo(c);
        else send_app(c);
      }
    }
  }
  double elapsed = now_s() - (seconds > 0 ? window_start : start);
  qsort(lat, nlat, sizeof *lat, by_value);
  double p50 = nlat ? lat[(long)(nlat * 0.50)] : 0, p99 = nlat ? lat[(long)(nlat * 0.99)] : 0;
  double max = nlat ? lat[nlat - 1] : 0;
  /* A connection never answered sorts last, as -1 printed for the slowest. */
  for (long i = 0; i < CONNS; i++) if (first_reply[i] < 0) first_reply[i] = 1e300;
  qsort(first_reply, CONNS, sizeof *first_reply, by_value);
#define FIRST(q) (first_reply[(long)((CONNS - 1) * (q))] >= 1e300 ? -1 : first_reply[(long)((CONNS - 1) * (q))])
  printf("msgs_per_s=%.0f MBps=%.2f p50_us=%.0f p99_us=%.0f max_us=%.0f first_p50_us=%.0f "
         "first_p99_us=%.0f first_max_us=%.0f",
         answered / elapsed, bytes_moved / elapsed / 1e6, p50, p99, max, FIRST(0.5), FIRST(0.99),
         FIRST(1.0));
  if (served_in != NULL) {
    long fewest = window_secs > 0 ? CONNS : 0;
    for (long s = 0; s < window_secs; s++) if (served_in[s] < fewest) fewest = served_in[s];
    printf(" min_served_per_s=%ld", fewest);
  }
  printf(" messages=%ld errors=%ld\n", answered, errors);
  if (seconds > 0) return errors == 0 && answered > 0 ? 0 : 1;
  return errors == 0 && answered == CONNS * MSGS ? 0 : 1;
}
