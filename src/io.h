/* io.h: the request transport: one CGI request, or FastCGI requests */
/* SPDX-License-Identifier: MIT */
#ifndef IO_H
#define IO_H

#include <sys/types.h>

#include <fcgiapp.h>

/*
 * Above this module CGI and FastCGI look the same: parameters by name, a
 * body to read, a response to write.  Only io.c includes libfcgi.
 */
/* Idle kept connections one process watches; past it the oldest is
 * closed (the web server opens a new one when it needs it). */
#define IO_KEPT_MAX 64

struct io {
	int fastcgi;   /* 0: one CGI request on stdin/stdout */
	int listen_fd; /* FastCGI: the listening socket */
	int cgi_done;  /* CGI: the one request was handed out */
	int in_request;
	int request_timeout_ms; /* a connection's time to send its request */
	FCGX_Request req;
	/* Connections the web server keeps open for its next request
	 * (FCGI_KEEP_CONN, nginx fastcgi_keep_conn on), idle until it
	 * sends one; watched beside the listening socket. */
	int kept[IO_KEPT_MAX];
	size_t nkept;
};

/* The most of an unread body that is read and dropped after a refusal, so
 * that the web server sees a clean close rather than a reset (CGI:
 * req_finish_input; FastCGI: io_finish).  Beyond it the connection is
 * closed the slow way. */
#define IO_DRAIN_MAX (8 * 1024 * 1024)

/* The default of request_timeout (cfg.c overrides it). */
#define IO_REQUEST_TIMEOUT_MS 10000

/*
 * Opens a FastCGI listening socket for BIND / --listen: "unix:/path",
 * "/path", "host:port" or "[v6]:port" (a bare ":port" listens on all
 * addresses).  A stale socket file at path is replaced.  Returns the fd,
 * or -1 with *errstr set.  Never exits (unlike FCGX_OpenSocket).
 */
int io_listen(const char *addr, const char **errstr);

/*
 * Who can reach the listening socket fd: a TCP socket must be bound to a
 * loopback address unless allow_remote (-1 with *errstr); a unix socket
 * every user may write to gets a warning in warn ("" when none).
 */
int io_check_exposure(int fd, int allow_remote, const char **errstr, char *warn,
    size_t warnlen);

/* listen_fd >= 0: serve FastCGI on it.  -1: FastCGI when stdin is a
 * listening socket (spawn-fcgi, mod_fcgid, systemd), else one CGI
 * request. */
int io_open(struct io *io, int listen_fd, const char **errstr);

/* 1: a request is ready; 0: no more (CGI served, or shutting down); -1:
 * accept failed.  A FastCGI connection must deliver its whole request
 * (parameters and body) within io->request_timeout_ms of being accepted,
 * or it is dropped and the next one served. */
int io_accept(struct io *io);

/* A request parameter (CGI: the environment); NULL when unset. */
const char *io_param(const struct io *io, const char *name);
/* The NULL-terminated NAME=VALUE list of the current request. */
char *const *io_params(const struct io *io);

/* Reads up to n body bytes: >0 bytes read, 0 end of body, -1 error. */
ssize_t io_read(struct io *io, void *p, size_t n);
int io_write(struct io *io, const void *p, size_t n);
/* Ends the current request: flushes, then closes the FastCGI connection,
 * or keeps it for the next request when the web server asked to
 * (FCGI_KEEP_CONN) and the request was read to its end. */
void io_finish(struct io *io);

/* Closes the kept connections (at exit). */
void io_close(struct io *io);

/* The request has been read: its deadline no longer applies (a waited
 * deploy may take minutes). */
void io_input_done(struct io *io);

/* 1 when a FastCGI client did not send its request before the deadline
 * (request_timeout): its read side was shut. */
int io_timed_out(const struct io *io);

/* Asks a FastCGI loop to stop after the request in flight. */
void io_shutdown(void);

#endif
