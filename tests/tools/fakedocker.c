/* fakedocker.c: a Docker API stand-in for faults a real daemon never shows */
/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/*
 * usage: fakedocker SOCKET MODE COUNTFILE
 *
 * Serves HTTP/1.1 on a Unix socket, one connection at a time, and appends
 * one line per request ("METHOD PATH") to COUNTFILE, so that tests can
 * prove which calls were (or were not) made.  /_ping always answers like
 * Docker 20.10.  Every other request is answered per MODE:
 *   hang        accept, read, never answer
 *   garbage     a reply that is not HTTP
 *   truncated   a 200 whose body ends early
 *   badjson     a 200 whose body is not JSON
 *   sequence    GET service: a valid service; POST update: 500 "update
 *               out of sequence", every time
 *   record      404 {"message":"page not found"}
 */

#define REQ_MAX 65536

static const char service_json[] =
    "{\"ID\":\"abcdefghijklmnopqrstuvwxy\",\"Version\":{\"Index\":"
    "18446744073709551615},\"Spec\":{\"Name\":\"blog\",\"Labels\":{"
    "\"deployer.allowUpdates\":\"true\"},\"TaskTemplate\":{"
    "\"ContainerSpec\":{\"Image\":\"local/app:v1\"}},\"Mode\":{"
    "\"Replicated\":{\"Replicas\":1}}}}";

static void
reply(int fd, const char *status, const char *body)
{
	char head[512];
	int n;

	n = snprintf(head, sizeof(head), "HTTP/1.1 %s\r\nApi-Version: 1.41\r\n"
	    "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n",
	    status, strlen(body));
	if (write(fd, head, (size_t)n) < 0 ||
	    write(fd, body, strlen(body)) < 0)
		return;
}

/* Reads one request (headers and a Content-Length body) into buf. */
static ssize_t
read_request(int fd, char *buf, size_t max)
{
	size_t len = 0;
	char *end;

	while (len < max - 1) {
		ssize_t n = read(fd, buf + len, max - 1 - len);

		if (n <= 0)
			return n < 0 ? -1 : (ssize_t)len;
		len += (size_t)n;
		buf[len] = '\0';
		if ((end = strstr(buf, "\r\n\r\n")) != NULL) {
			char *cl = strcasestr(buf, "Content-Length:");
			size_t want = (size_t)(end + 4 - buf);

			if (cl != NULL && cl < end)
				want += strtoul(cl + 15, NULL, 10);
			if (len >= want)
				break;
		}
	}
	return (ssize_t)len;
}

int
main(int argc, char *argv[])
{
	struct sockaddr_un sun;
	const char *mode;
	FILE *count;
	int lfd;

	if (argc != 4) {
		fprintf(stderr, "usage: fakedocker SOCKET MODE COUNTFILE\n");
		return 2;
	}
	mode = argv[2];
	signal(SIGPIPE, SIG_IGN);
	if ((count = fopen(argv[3], "a")) == NULL) {
		perror(argv[3]);
		return 1;
	}
	setvbuf(count, NULL, _IOLBF, 0);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", argv[1]);
	unlink(argv[1]);
	if ((lfd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1 ||
	    bind(lfd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    listen(lfd, 16) == -1) {
		perror("listen");
		return 1;
	}
	for (;;) {
		static char buf[REQ_MAX];
		int fd = accept(lfd, NULL, NULL);

		if (fd == -1) {
			if (errno == EINTR)
				continue;
			return 1;
		}
		/* Keep-alive: serve requests on this connection until EOF. */
		for (;;) {
			char method[16], path[1024];
			ssize_t n = read_request(fd, buf, sizeof(buf));

			if (n <= 0 || sscanf(buf, "%15s %1023s", method,
			    path) != 2)
				break;
			fprintf(count, "%s %s\n", method, path);
			if (strcmp(path, "/_ping") == 0) {
				reply(fd, "200 OK", "OK");
				continue;
			}
			if (strcmp(mode, "hang") == 0) {
				pause();
			} else if (strcmp(mode, "garbage") == 0) {
				if (write(fd, "SSH-2.0-nonsense\r\n\r\n", 20) < 0)
					break;
				break;
			} else if (strcmp(mode, "truncated") == 0) {
				static const char t[] = "HTTP/1.1 200 OK\r\n"
				    "Api-Version: 1.41\r\nContent-Length: 500\r\n"
				    "\r\n{\"ID\":\"abc";

				if (write(fd, t, sizeof(t) - 1) < 0)
					break;
				break;
			} else if (strcmp(mode, "badjson") == 0) {
				reply(fd, "200 OK", "{\"ID\": [unterminated");
			} else if (strcmp(mode, "sequence") == 0) {
				if (strcmp(method, "GET") == 0)
					reply(fd, "200 OK", service_json);
				else
					reply(fd, "500 Internal Server Error",
					    "{\"message\":\"rpc error: code = "
					    "Unknown desc = update out of "
					    "sequence\"}");
			} else {
				reply(fd, "404 Not Found",
				    "{\"message\":\"page not found\"}");
			}
		}
		close(fd);
	}
}
