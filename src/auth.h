/* auth.h: who is asking, what they may do, and whether they signed it */
/* SPDX-License-Identifier: MIT */
#ifndef AUTH_H
#define AUTH_H

struct request;

/*
 * Who: the Authorization header holds the raw token (as the Go program's
 * users send it) or "Bearer <token>".  Its SHA-256 is compared with every
 * configured token's in constant time (CRYPTO_memcmp, all of them, always),
 * so timing tells nothing about tokens or their number.  Fails with 401
 * (missing or unknown; a challenge is sent) or 500 (no token configured:
 * the program never runs open).  Runs before the body is read.  On the
 * routes whose senders cannot send a header (/hook/dockerhub/<token>,
 * /hook/quay/<token>), the token is the path's, never logged.
 */
int auth_check(struct request *req);

/* What: the token's actions and service patterns allow the routed action
 * on the routed service, else 403.  A hook needs the action only. */
int auth_scope(struct request *req);

/*
 * What, again, once Docker has named the service: the URL may name it by
 * its ID, so the token's service patterns are checked against the real
 * name (403), which the request uses from then on (log, audit,
 * notification, answer).
 */
int auth_scope_service(struct request *req, const char *name);

/* What, for each member of a stack release: the token's service
 * patterns allow its full name, else 403 for the whole release. */
int auth_scope_member(struct request *req, const char *name);

/*
 * Proof: for a token with a signing key, the request carries a valid
 * HMAC-SHA256 signature made within the window and never seen before
 * (across processes: a locked file under state_dir), else 401.  Runs
 * after the body is read and before it is parsed.
 */
int auth_signature(struct request *req);

/*
 * Who, where no token is presented (a GitHub webhook, API_SIGNED): the
 * token whose signing key made the body's X-Hub-Signature-256 (every
 * GitHub-signature token's key, and the legacy token's secret, are tried,
 * always), and the delivery never
 * seen before, as auth_signature; else 401.  Runs after the body is read.
 */
int auth_signed(struct request *req);

/*
 * Which services a hook may move: 1 when the token's service patterns
 * admit name and its stack patterns admit stack (a service of no stack
 * is outside any stacks= limit), else 0.  Never fails the request: a
 * hook skips the services it may not move.
 */
int auth_may_move(const struct request *req, const char *name,
    const char *stack);

#endif
