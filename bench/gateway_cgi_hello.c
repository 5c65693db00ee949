/* The per-request program of gateway_bench's fork+exec anchor (the CGI /
 * Pick BASIC FORK way): started once per connection with the socket as
 * stdin and stdout, it reads the request header and answers "Hello,
 * world!". As small as such a program gets. */
#include <string.h>
#include <unistd.h>

int main(void) {
  static const char answer[] =
      "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 14\r\n"
      "Connection: close\r\n\r\nHello, world!\n";
  char buf[4096];
  size_t have = 0;
  while (have < sizeof buf - 1) {
    ssize_t n = read(0, buf + have, sizeof buf - 1 - have);
    if (n <= 0) return 1;
    have += (size_t)n;
    buf[have] = '\0';
    if (strstr(buf, "\r\n\r\n")) break;
  }
  return write(1, answer, sizeof answer - 1) == (ssize_t)(sizeof answer - 1) ? 0 : 1;
}
