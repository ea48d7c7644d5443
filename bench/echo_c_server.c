// Reference point for bench/echo_compare.ts: a minimal single-threaded epoll echo
// server in C (no error handling beyond closing). It shows what this machine's
// loopback allows, so the Tandem / seed ratio can be read against a ceiling.
//
// usage: echo_c_server   (listens on 127.0.0.1, a free port, printed on stdout)

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

int main(void) {
  int one = 1;
  int listener = socket(AF_INET, SOCK_STREAM, 0);
  setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in addr = {0};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (bind(listener, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(listener, 128) != 0 ||
      getsockname(listener, (struct sockaddr *)&addr, &len) != 0) {
    perror("echo_c_server");
    return 1;
  }
  printf("listening on 127.0.0.1:%d\n", ntohs(addr.sin_port));
  fflush(stdout);
  int ep = epoll_create1(0);
  struct epoll_event ev = {.events = EPOLLIN, .data.fd = listener};
  epoll_ctl(ep, EPOLL_CTL_ADD, listener, &ev);
  struct epoll_event events[256];
  static char buffer[65536];
  for (;;) {
    int n = epoll_wait(ep, events, 256, -1);
    for (int i = 0; i < n; i++) {
      int fd = events[i].data.fd;
      if (fd == listener) {
        int conn = accept(listener, NULL, NULL);
        if (conn < 0) continue;
        setsockopt(conn, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        struct epoll_event e = {.events = EPOLLIN, .data.fd = conn};
        epoll_ctl(ep, EPOLL_CTL_ADD, conn, &e);
        continue;
      }
      ssize_t got = read(fd, buffer, sizeof buffer);
      if (got <= 0) {
        close(fd);
        continue;
      }
      // Blocking-style write is fine for 64-byte ping-pong; this is a reference only.
      for (ssize_t off = 0; off < got;) {
        ssize_t w = write(fd, buffer + off, (size_t)(got - off));
        if (w <= 0) break;
        off += w;
      }
    }
  }
}
