/* auth.h: who is asking, decided before anything else is read */
/* SPDX-License-Identifier: MIT */
#ifndef AUTH_H
#define AUTH_H

struct request;

/*
 * Checks the Authorization header: the raw token (as the Go program's
 * users send it) or "Bearer <token>".  The presented token is hashed and
 * compared with CRYPTO_memcmp, so timing reveals neither the token nor its
 * length.  Fails the request with 401 (missing or wrong; a challenge is
 * sent) or 500 (no token configured: the program never runs open).
 */
int auth_check(struct request *req);

#endif
