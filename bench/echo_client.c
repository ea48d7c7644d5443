// Ping-pong load client for bench/echo_compare.ts, compiled at bench time with gcc.
//
// Opens CONNECTIONS TCP connections to HOST:PORT; each sends SIZE bytes, waits for
// the same SIZE bytes to come back (checked), and sends again. One thread, epoll.
// Runs WARMUP_MS unmeasured, then counts round trips for DURATION_MS and prints one
// JSON line: {"roundTrips":N,"seconds":S,"rps":R,"errors":E}.
//
// usage: echo_client HOST PORT CONNECTIONS SIZE WARMUP_MS DURATION_MS

#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

typedef struct {
  int fd;
  size_t received;
  unsigned char pattern;
} Client;

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int send_ping(Client *c, unsigned char *out, size_t size) {
  c->pattern++;
  memset(out, c->pattern, size);
  c->received = 0;
  ssize_t n = send(c->fd, out, size, MSG_NOSIGNAL);
  return n == (ssize_t)size ? 0 : -1;
}

int main(int argc, char **argv) {
  if (argc != 7) {
    fprintf(stderr, "usage: echo_client HOST PORT CONNECTIONS SIZE WARMUP_MS DURATION_MS\n");
    return 2;
  }
  const char *host = argv[1];
  int port = atoi(argv[2]);
  int count = atoi(argv[3]);
  size_t size = (size_t)atoi(argv[4]);
  double warmup = atof(argv[5]);
  double duration = atof(argv[6]);
  if (count < 1 || size < 1 || size > 65536) {
    fprintf(stderr, "echo_client: bad CONNECTIONS or SIZE\n");
    return 2;
  }
  struct sockaddr_in addr = {0};
  addr.sin_family = AF_INET;
  addr.sin_port = htons((uint16_t)port);
  if (inet_pton(AF_INET, host, &addr.sin_addr) != 1) {
    fprintf(stderr, "echo_client: bad HOST '%s'\n", host);
    return 2;
  }
  int ep = epoll_create1(0);
  Client *clients = calloc((size_t)count, sizeof(Client));
  unsigned char *out = malloc(size), *in = malloc(size);
  for (int i = 0; i < count; i++) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
      fprintf(stderr, "echo_client: connect failed: %s\n", strerror(errno));
      return 1;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    clients[i].fd = fd;
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &clients[i]};
    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
  }
  for (int i = 0; i < count; i++) {
    if (send_ping(&clients[i], out, size) != 0) {
      fprintf(stderr, "echo_client: send failed\n");
      return 1;
    }
  }
  struct epoll_event events[256];
  long long trips = 0, errors = 0;
  double start = now_ms(), measure_from = start + warmup, end = measure_from + duration;
  int measuring = 0;
  for (;;) {
    double t = now_ms();
    if (!measuring && t >= measure_from) {
      measuring = 1;
      trips = 0;
      measure_from = t;
    }
    if (t >= end) break;
    int n = epoll_wait(ep, events, 256, 100);
    for (int i = 0; i < n; i++) {
      Client *c = events[i].data.ptr;
      ssize_t got = recv(c->fd, in, size - c->received, MSG_DONTWAIT);
      if (got <= 0) {
        if (got < 0 && (errno == EAGAIN || errno == EINTR)) continue;
        fprintf(stderr, "echo_client: connection closed by server\n");
        return 1;
      }
      for (ssize_t k = 0; k < got; k++) {
        if (in[k] != c->pattern) errors++;
      }
      c->received += (size_t)got;
      if (c->received == size) {
        trips++;
        if (send_ping(c, out, size) != 0) {
          fprintf(stderr, "echo_client: send failed\n");
          return 1;
        }
      }
    }
  }
  double seconds = (now_ms() - measure_from) / 1e3;
  printf("{\"roundTrips\":%lld,\"seconds\":%.3f,\"rps\":%.0f,\"errors\":%lld}\n", trips, seconds,
         trips / seconds, errors);
  for (int i = 0; i < count; i++) close(clients[i].fd);
  return errors == 0 ? 0 : 1;
}
