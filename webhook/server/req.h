/* req.h -- the state of one HTTP request on the server.
 *
 * Created when the request line has arrived (MHD's URI log callback, the
 * earliest per-request hook, so deadlines count from there), filled while
 * the body arrives, and freed only by the server's completion callback.  A
 * req owns its body (capped: past the cap the bytes are dropped and the
 * request is answered 413 once complete) and, once the body is complete,
 * one pinned policy snapshot.
 * Not thread-safe: MHD never runs one request on two threads at once.
 */
#ifndef TOLLGATE_REQ_H
#define TOLLGATE_REQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "error.h"

struct snapshot;

enum req_route {
    ROUTE_UNKNOWN = 0, /* not routed yet */
    ROUTE_VALIDATE,
    ROUTE_MUTATE,
    ROUTE_HEALTHZ,
    ROUTE_READYZ,
    ROUTE_METRICS,
    ROUTE_REJECTED, /* an error answer was queued on the first call */
};

struct req {
    uint64_t start_ns; /* monotonic time the request line arrived */
    uint64_t body_ns;  /* ... and the body was complete (0 until then) */
    enum req_route route;
    struct buf body;       /* owned, capped at the configured maximum */
    enum tg_rc body_rc;    /* TG_ETOOBIG once the cap was passed */
    struct snapshot *snap; /* pinned by req_pin_policy; released by req_free */
};

/* A new request started at `start_ns` whose body may hold `max_body`
 * bytes.  NULL on OOM.  Free with req_free. */
struct req *req_new(size_t max_body, uint64_t start_ns);

void req_free(struct req *r); /* NULL-safe; releases the pinned snapshot */

/* The client declared a body of `len` bytes (Content-Length, already
 * checked against the cap): room for it now, so a large body is not copied
 * again each time it doubles.  Only up to REQ_EXPECT_MAX: a client may
 * declare more than it sends, and memory should follow what arrives.  A
 * failure changes nothing (req_append reports running out). */
#define REQ_EXPECT_MAX (256 * 1024)
void req_expect(struct req *r, size_t len);

/* Store a body chunk; once the cap is passed the rest is dropped and
 * body_rc stays TG_ETOOBIG (or TG_ENOMEM). */
void req_append(struct req *r, const char *data, size_t len);

/* Pin the current policy snapshot for the rest of the request; false if no
 * policy was ever loaded (or already pinned: true). */
bool req_pin_policy(struct req *r);

/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t req_now_ns(void);

#endif
