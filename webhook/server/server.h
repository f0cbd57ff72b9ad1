/* server.h -- the HTTP(S) side of `tollgate serve` on libmicrohttpd.
 *
 * One TLS daemon serves POST /validate and POST /mutate (and, unless a
 * metrics address is configured, GET /healthz, /readyz and /metrics); an
 * optional plain-HTTP daemon serves only those three GET endpoints.  Both
 * run on MHD's internal thread pool with epoll (poll where epoll is
 * missing).  Everything a request needs is in its struct req (req.h); the
 * only shared state is the read-only config, the policy snapshot
 * (snapshot.h), the TLS credentials (tlscreds.h), metrics and a few
 * counters here.
 *
 * Protection: the body cap (413), MHD's idle timeout, a connection limit,
 * and a reaper (server_reap) that closes connections whose request has
 * not fully arrived --read-timeout seconds after the connection became
 * ready for it, which MHD's idle timeout alone cannot do against a client
 * sending one byte per second.  Answers that never reach the engine carry
 * a short JSON body {"error":"..."}.
 *
 * Lifecycle: server_start, then (from one control thread) server_reap
 * periodically, server_drain on SIGTERM, server_in_flight until it reaches
 * 0 or time runs out, server_stop.
 */
#ifndef TOLLGATE_SERVER_H
#define TOLLGATE_SERVER_H

#include <stdbool.h>

#include "error.h"
#include "serve_config.h"

struct server;
struct registry;

/* Start the daemons.  `cfg` is borrowed and must outlive the server.
 * `client_ca_pem` (NUL-terminated PEM, copied) turns on mutual TLS: a
 * client without a certificate signed by it fails the handshake; NULL
 * for none.  The TLS credentials are the current ones of tlscreds.h,
 * which must have been published.  `registry` (borrowed, may be NULL for
 * no lookups) answers the registry questions of policies that ask them;
 * it must outlive the server.  TG_EIO when a daemon cannot start
 * (address in use, bad address), err saying which. */
TG_MUST_CHECK enum tg_rc server_start(const struct serve_config *cfg,
                                      const char *client_ca_pem,
                                      struct registry *registry, struct server **out,
                                      struct tg_error *err);

/* Close connections whose request is overdue (see above). */
void server_reap(struct server *s);

/* /readyz answers 503 from now on, new connections are refused (the
 * listening sockets are closed), and every answer asks the client to close
 * its connection.  Requests in flight continue. */
void server_drain(struct server *s);

/* Requests that have started (request line received) and not completed. */
unsigned server_in_flight(const struct server *s);

/* Stop the daemons (closing any connection left) and free.  NULL-safe. */
void server_stop(struct server *s);

#endif
