/* req.c -- per-request state: body, start time, pinned policy. */
#include "req.h"

#include <time.h>

#include "alloc.h"
#include "snapshot.h"

struct req *req_new(size_t max_body, uint64_t start_ns)
{
    struct req *r = tg_calloc(1, sizeof(*r));
    if (!r)
        return NULL;
    r->start_ns = start_ns;
    r->route = ROUTE_UNKNOWN;
    buf_init(&r->body, max_body);
    r->body_rc = TG_OK;
    return r;
}

void req_free(struct req *r)
{
    if (!r)
        return;
    snapshot_release(r->snap);
    buf_cleanup(&r->body);
    tg_free(r);
}

void req_expect(struct req *r, size_t len)
{
    if (len == 0 || len > REQ_EXPECT_MAX || r->body_rc != TG_OK)
        return;
    enum tg_rc rc = buf_reserve(&r->body, len);
    (void)rc; /* TG_ETOOBIG or TG_ENOMEM: the appends will say so */
}

void req_append(struct req *r, const char *data, size_t len)
{
    if (r->body_rc == TG_OK)
        r->body_rc = buf_append(&r->body, data, len);
    if (r->body_rc != TG_OK)
        buf_cleanup(&r->body); /* nothing more is stored; free what was */
}

bool req_pin_policy(struct req *r)
{
    if (!r->snap)
        r->snap = snapshot_acquire();
    return r->snap != NULL;
}

uint64_t req_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}
