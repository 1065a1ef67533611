/* Shared helpers of the engine C API tests: a check framework, two
 * engines joined by an in-memory "network" on a virtual clock, event
 * records that outlive the engine's borrowed data, and configuration
 * helpers. Header-only (static functions); each test includes it once.
 *
 * SPDX-License-Identifier: MIT OR Apache-2.0 */

#ifndef RIKE_ENGINE_COMMON_H
#define RIKE_ENGINE_COMMON_H

#include "rike.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- checks -------------------------------------------------------------- */

/* Atomic: the threads test checks from several threads. */
static atomic_ulong checks;
static atomic_ulong failures;

static inline void check_at(int ok, const char *what, const char *file, int line) {
    checks++;
    if (ok) {
        return;
    }
    if (++failures <= 60) {
        fprintf(stderr, "%s:%d: FAILED: %s\n", file, line, what);
    }
}

#define CHECK(cond) check_at((cond) != 0, #cond, __FILE__, __LINE__)

#define CHECK_RESULT(expr, want)                                                         \
    do {                                                                                 \
        unsigned got_ = (unsigned)(expr);                                                \
        unsigned want_ = (unsigned)(want);                                               \
        char what_[640];                                                                 \
        snprintf(what_, sizeof what_, "%s == %s (got %u \"%s\", want %u \"%s\"; %s)",    \
                 #expr, #want, got_, rike_result_str(got_), want_, rike_result_str(want_), \
                 got_ == want_ ? "" : rike_last_error());                                \
        check_at(got_ == want_, what_, __FILE__, __LINE__);                              \
    } while (0)

#define OK(expr) CHECK_RESULT(expr, RIKE_RESULT_OK)

/* Aborts the test when a precondition fails (nothing sensible follows). */
#define REQUIRE(cond)                                                                    \
    do {                                                                                 \
        if (!(cond)) {                                                                   \
            fprintf(stderr, "%s:%d: REQUIRED: %s (%s)\n", __FILE__, __LINE__, #cond,     \
                    rike_last_error());                                                  \
            exit(1);                                                                     \
        }                                                                                \
    } while (0)

static inline void *xmalloc(size_t n) {
    void *p = malloc(n ? n : 1);
    if (!p) {
        fprintf(stderr, "out of memory\n");
        exit(2);
    }
    return p;
}

/* Reads a test data file (tests/data/..., relative to RIKE_TEST_DATA or
 * the working directory) into a heap buffer of exactly its size. */
static inline uint8_t *read_data(const char *rel, size_t *len) {
    const char *base = getenv("RIKE_TEST_DATA");
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", base ? base : "tests/data", rel);
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "cannot open %s\n", path);
        exit(2);
    }
    size_t cap = 4096, n = 0;
    uint8_t *buf = (uint8_t *)xmalloc(cap);
    size_t got;
    while ((got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            cap *= 2;
            uint8_t *nb = (uint8_t *)realloc(buf, cap);
            if (!nb) {
                fprintf(stderr, "out of memory\n");
                exit(2);
            }
            buf = nb;
        }
    }
    fclose(f);
    uint8_t *exact = (uint8_t *)xmalloc(n);
    memcpy(exact, buf, n);
    free(buf);
    *len = n;
    return exact;
}

static inline rike_addr addr4(uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint16_t port) {
    rike_addr x;
    memset(&x, 0, sizeof x);
    x.family = RIKE_AF_INET;
    x.port = port;
    x.ip[0] = a;
    x.ip[1] = b;
    x.ip[2] = c;
    x.ip[3] = d;
    return x;
}

/* ---- event records -------------------------------------------------------- */

/* What a test keeps of one event: copies, since the engine's borrowed data
 * ends at the next call. */
typedef struct {
    uint32_t kind;
    uint64_t ike_sa, child_sa, request_id, old;
    uint32_t spi_in, spi_out, reason, scheme;
    uint16_t encr_id, integ_id, notify;
    uint8_t encap, der;
    uint8_t ekey_in[64], ekey_out[64], akey_in[64], akey_out[64];
    size_t ekey_len, akey_len;
    size_t local_ts_len, remote_ts_len;
    rike_ts local_ts0, remote_ts0;
    uint8_t spi_i[8], spi_r[8];
    uint8_t by_us;            /* MODE_CONFIG */
    rike_addr addr, dns0;     /* MODE_CONFIG: the address, the first DNS server */
    size_t ndns;
    char text[512];  /* peer name, message, identity */
    char keys[1024]; /* rike_engine_event_keys output, when any */
} ev_rec;

#define MAX_EVENTS 512

/* ---- a side of the network ------------------------------------------------ */

typedef struct side {
    const char *name;
    rike_engine *e;
    rike_addr ip500;
    ev_rec ev[MAX_EVENTS];
    size_t nev;
    size_t sent;
    /* decisions, answered while draining */
    const char *psk_answer;         /* PSK_REQUEST: this key, or NULL to refuse */
    const rike_key *signer;         /* SIGN_REQUEST: sign with this key */
    uint32_t admission;             /* HALF_OPEN_REQUEST: this answer, 0 = leave pending */
    int export_keys;                /* call rike_engine_event_keys on key events */
    const char *xauth_user;         /* XAUTH_REQUEST: answer with these (NULL user: give up); */
    const char *xauth_password;     /* XAUTH_VERIFY: accept exactly these */
} side_t;

typedef struct {
    int to_b;
    rike_addr local, remote; /* as the receiver sees them */
    uint8_t *data;
    size_t len;
} flight_t;

#define MAX_FLIGHT 256

typedef struct {
    side_t a, b;
    uint64_t now;
    flight_t flight[MAX_FLIGHT];
    size_t nflight;
    uint64_t datagrams;
    /* drop datagram number n when drop(n) is true */
    int (*drop)(uint64_t n);
} net_t;

static inline void record(side_t *s, const rike_event *ev) {
    if (s->nev >= MAX_EVENTS) {
        fprintf(stderr, "too many events\n");
        exit(2);
    }
    ev_rec *r = &s->ev[s->nev++];
    memset(r, 0, sizeof *r);
    r->kind = ev->kind;
    r->ike_sa = ev->ike_sa;
    r->child_sa = ev->child_sa;
    r->request_id = ev->request_id;
    switch (ev->kind) {
    case RIKE_EVENT_TYPE_IKE_SA_UP:
        snprintf(r->text, sizeof r->text, "%s %s", ev->u.ike_up.peer, ev->u.ike_up.remote_id.text);
        memcpy(r->spi_i, ev->u.ike_up.spi_i, 8);
        memcpy(r->spi_r, ev->u.ike_up.spi_r, 8);
        break;
    case RIKE_EVENT_TYPE_IKE_SA_DOWN:
        r->reason = ev->u.down.reason;
        r->notify = ev->u.down.notify_type;
        snprintf(r->text, sizeof r->text, "%s", ev->u.down.message);
        break;
    case RIKE_EVENT_TYPE_IKE_SA_REKEYED:
        r->old = ev->u.ike_rekeyed.old_sa;
        break;
    case RIKE_EVENT_TYPE_CHILD_SA_UP:
    case RIKE_EVENT_TYPE_CHILD_SA_REKEYED: {
        const rike_child_sa *c = &ev->u.child;
        r->old = c->old_child;
        r->spi_in = c->spi_in;
        r->spi_out = c->spi_out;
        r->encr_id = c->encr_id;
        r->integ_id = c->integ_id;
        r->encap = c->encap;
        REQUIRE(c->encr_key_in.len <= 64 && c->integ_key_in.len <= 64);
        REQUIRE(c->encr_key_in.len == c->encr_key_out.len);
        REQUIRE(c->integ_key_in.len == c->integ_key_out.len);
        r->ekey_len = c->encr_key_in.len;
        r->akey_len = c->integ_key_in.len;
        if (r->ekey_len) {
            memcpy(r->ekey_in, c->encr_key_in.ptr, r->ekey_len);
            memcpy(r->ekey_out, c->encr_key_out.ptr, r->ekey_len);
        }
        if (r->akey_len) {
            memcpy(r->akey_in, c->integ_key_in.ptr, r->akey_len);
            memcpy(r->akey_out, c->integ_key_out.ptr, r->akey_len);
        }
        r->local_ts_len = c->local_ts_len;
        r->remote_ts_len = c->remote_ts_len;
        if (c->local_ts_len) {
            r->local_ts0 = c->local_ts[0];
        }
        if (c->remote_ts_len) {
            r->remote_ts0 = c->remote_ts[0];
        }
        snprintf(r->text, sizeof r->text, "%s", c->name);
        break;
    }
    case RIKE_EVENT_TYPE_CHILD_SA_DOWN:
        r->spi_in = ev->u.child_down.spi_in;
        r->spi_out = ev->u.child_down.spi_out;
        r->reason = ev->u.child_down.down.reason;
        snprintf(r->text, sizeof r->text, "%s", ev->u.child_down.down.message);
        break;
    case RIKE_EVENT_TYPE_CHILD_SA_FAILED:
        r->notify = ev->u.child_failed.notify_type;
        snprintf(r->text, sizeof r->text, "%s", ev->u.child_failed.name);
        break;
    case RIKE_EVENT_TYPE_PSK_REQUEST:
        snprintf(r->text, sizeof r->text, "%s", ev->u.psk_request.peer_id.text);
        break;
    case RIKE_EVENT_TYPE_IKE_KEYS:
        memcpy(r->spi_i, ev->u.ike_keys.spi_i, 8);
        memcpy(r->spi_r, ev->u.ike_keys.spi_r, 8);
        r->encr_id = ev->u.ike_keys.encr_id;
        break;
    case RIKE_EVENT_TYPE_SIGN_REQUEST:
        r->scheme = ev->u.sign_request.scheme;
        r->der = ev->u.sign_request.der;
        break;
    case RIKE_EVENT_TYPE_HALF_OPEN_REQUEST:
        memcpy(r->spi_i, ev->u.half_open.spi_i, 8);
        break;
    case RIKE_EVENT_TYPE_XAUTH_VERIFY:
        snprintf(r->text, sizeof r->text, "%s:%.*s", ev->u.xauth_verify.user, (int)ev->u.xauth_verify.password.len,
                 ev->u.xauth_verify.password.len ? (const char *)ev->u.xauth_verify.password.ptr : "");
        break;
    case RIKE_EVENT_TYPE_MODE_CONFIG:
        r->by_us = ev->u.mode_config.assigned_by_us;
        r->addr = ev->u.mode_config.address;
        r->ndns = ev->u.mode_config.dns_len;
        if (r->ndns) {
            r->dns0 = ev->u.mode_config.dns[0];
        }
        break;
    case RIKE_EVENT_TYPE_IKEV1_KEYS: {
        const rike_ikev1_keys *k = &ev->u.ikev1_keys;
        memcpy(r->spi_i, k->cky_i, 8);
        memcpy(r->spi_r, k->cky_r, 8);
        r->encr_id = k->encr_alg;
        r->integ_id = k->hash_alg;
        REQUIRE(k->key.len <= 64 && k->skeyid_a.len <= 64);
        r->ekey_len = k->key.len;
        r->akey_len = k->skeyid_a.len;
        if (k->key.len) {
            memcpy(r->ekey_in, k->key.ptr, k->key.len);
        }
        if (k->skeyid_a.len) {
            memcpy(r->akey_in, k->skeyid_a.ptr, k->skeyid_a.len);
        }
        break;
    }
    default:
        break;
    }
}

static inline size_t count(const side_t *s, uint32_t kind) {
    size_t n = 0;
    for (size_t i = 0; i < s->nev; i++) {
        n += s->ev[i].kind == kind;
    }
    return n;
}

static inline const ev_rec *last(const side_t *s, uint32_t kind) {
    for (size_t i = s->nev; i > 0; i--) {
        if (s->ev[i - 1].kind == kind) {
            return &s->ev[i - 1];
        }
    }
    return NULL;
}

/* Answers a decision event from the side's policy. */
static inline void decide(side_t *s, uint64_t now, const rike_event *ev) {
    switch (ev->kind) {
    case RIKE_EVENT_TYPE_PSK_REQUEST:
        if (s->psk_answer) {
            OK(rike_engine_provide_psk(s->e, now, ev->ike_sa, ev->request_id,
                                       (const uint8_t *)s->psk_answer, strlen(s->psk_answer)));
        } else {
            OK(rike_engine_provide_psk(s->e, now, ev->ike_sa, ev->request_id, NULL, 0));
        }
        break;
    case RIKE_EVENT_TYPE_SIGN_REQUEST: {
        uint8_t sig[1024];
        size_t n = 0;
        /* A copy: the request's data ends with the next engine call. */
        size_t dl = ev->u.sign_request.data.len;
        uint8_t *data = (uint8_t *)xmalloc(dl);
        memcpy(data, ev->u.sign_request.data.ptr, dl);
        if (s->signer) {
            OK(rike_key_sign(s->signer, ev->u.sign_request.scheme, ev->u.sign_request.der != 0,
                             data, dl, sig, sizeof sig, &n));
            OK(rike_engine_provide_signature(s->e, now, ev->ike_sa, ev->request_id, sig, n));
        } else {
            OK(rike_engine_provide_signature(s->e, now, ev->ike_sa, ev->request_id, NULL, 0));
        }
        free(data);
        break;
    }
    case RIKE_EVENT_TYPE_XAUTH_REQUEST:
        OK(rike_engine_provide_xauth(s->e, now, ev->ike_sa, ev->request_id, s->xauth_user,
                                     (const uint8_t *)s->xauth_password,
                                     s->xauth_password ? strlen(s->xauth_password) : 0));
        break;
    case RIKE_EVENT_TYPE_XAUTH_VERIFY: {
        const rike_xauth_verify *v = &ev->u.xauth_verify;
        int ok = s->xauth_user && s->xauth_password && strcmp(v->user, s->xauth_user) == 0 &&
                 v->password.len == strlen(s->xauth_password) &&
                 (v->password.len == 0 || memcmp(v->password.ptr, s->xauth_password, v->password.len) == 0);
        OK(rike_engine_xauth_verdict(s->e, now, ev->ike_sa, ev->request_id, ok != 0));
        break;
    }
    case RIKE_EVENT_TYPE_HALF_OPEN_REQUEST:
        if (s->admission) {
            OK(rike_engine_admit(s->e, now, ev->request_id, s->admission));
        }
        break;
    default:
        break;
    }
}

/* Drains one side: datagrams into the flight, events into the record
 * (answering decisions). Returns how many outputs it took. */
static inline size_t drain(net_t *n, side_t *s, int from_a) {
    size_t moved = 0;
    for (;;) {
        uint8_t buf[2048];
        size_t len = 0;
        rike_transmit t;
        memset(&t, 0, sizeof t);
        t.struct_size = sizeof t;
        rike_result r = rike_engine_poll_transmit(s->e, buf, sizeof buf, &len, &t);
        if (r == RIKE_RESULT_DONE) {
            break;
        }
        OK(r);
        if (r != RIKE_RESULT_OK) {
            break;
        }
        moved++;
        s->sent++;
        uint64_t num = n->datagrams++;
        if (n->drop && n->drop(num)) {
            continue;
        }
        REQUIRE(n->nflight < MAX_FLIGHT);
        flight_t *f = &n->flight[n->nflight++];
        f->to_b = from_a;
        f->local = t.remote; /* the receiver's local address */
        f->remote = t.local;
        f->data = (uint8_t *)xmalloc(len);
        memcpy(f->data, buf, len);
        f->len = len;
    }
    for (;;) {
        rike_event ev;
        memset(&ev, 0, sizeof ev);
        ev.struct_size = sizeof ev;
        rike_result r = rike_engine_poll_event(s->e, &ev);
        if (r == RIKE_RESULT_DONE) {
            break;
        }
        OK(r);
        if (r != RIKE_RESULT_OK) {
            break;
        }
        moved++;
        record(s, &ev);
        ev_rec *rec = &s->ev[s->nev - 1];
        if (s->export_keys) {
            size_t kl = 0;
            uint32_t fmt = 0;
            if (ev.kind == RIKE_EVENT_TYPE_IKE_KEYS) {
                fmt = RIKE_KEY_FORMAT_IKEV2_DECRYPTION_TABLE;
            } else if (ev.kind == RIKE_EVENT_TYPE_CHILD_SA_UP ||
                       ev.kind == RIKE_EVENT_TYPE_CHILD_SA_REKEYED) {
                fmt = RIKE_KEY_FORMAT_ESP_SA;
            } else if (ev.kind == RIKE_EVENT_TYPE_IKEV1_KEYS) {
                fmt = RIKE_KEY_FORMAT_IKEV1_DECRYPTION_TABLE;
                /* And the key log line, kept in `text`. */
                OK(rike_engine_event_keys(s->e, RIKE_KEY_FORMAT_KEY_LOG, rec->text, sizeof rec->text, &kl));
                CHECK(kl == strlen(rec->text));
            }
            if (fmt) {
                OK(rike_engine_event_keys(s->e, fmt, rec->keys, sizeof rec->keys, &kl));
                CHECK(kl == strlen(rec->keys));
                /* The formats of the other kinds of key event do not fit;
                 * an unknown format is refused. */
                char other[16];
                uint32_t v1 = RIKE_KEY_FORMAT_IKEV1_DECRYPTION_TABLE, v2 = RIKE_KEY_FORMAT_IKEV2_DECRYPTION_TABLE;
                CHECK_RESULT(rike_engine_event_keys(s->e, fmt == v1 ? v2 : v1, other, sizeof other, &kl),
                             RIKE_RESULT_WRONG_STATE);
                CHECK_RESULT(rike_engine_event_keys(s->e, 99, other, sizeof other, &kl),
                             RIKE_RESULT_INVALID_PARAMETER);
            }
        }
        decide(s, n->now, &ev);
    }
    return moved;
}

/* Delivers everything in flight, in order. */
static inline size_t deliver(net_t *n) {
    size_t k = n->nflight;
    for (size_t i = 0; i < k; i++) {
        flight_t *f = &n->flight[i];
        side_t *to = f->to_b ? &n->b : &n->a;
        OK(rike_engine_handle_datagram(to->e, n->now, &f->local, &f->remote, f->data, f->len));
        free(f->data);
    }
    n->nflight = 0;
    return k;
}

/* Runs the world for `ms` of virtual time: drains, delivers, and jumps
 * the clock to the next engine deadline while nothing is in flight. */
static inline void run_for(net_t *n, uint64_t ms) {
    uint64_t end = n->now + ms;
    for (int guard = 0; guard < 100000; guard++) {
        size_t moved = drain(n, &n->a, 1) + drain(n, &n->b, 0);
        moved += deliver(n);
        if (moved) {
            continue;
        }
        uint64_t ta = 0, tb = 0, next = UINT64_MAX;
        if (rike_engine_poll_timeout(n->a.e, &ta) == RIKE_RESULT_OK && ta < next) {
            next = ta;
        }
        if (rike_engine_poll_timeout(n->b.e, &tb) == RIKE_RESULT_OK && tb < next) {
            next = tb;
        }
        if (next > end) {
            n->now = end;
            return;
        }
        if (next > n->now) {
            n->now = next;
        }
        OK(rike_engine_handle_timeout(n->a.e, n->now));
        OK(rike_engine_handle_timeout(n->b.e, n->now));
    }
    fprintf(stderr, "run_for: no end\n");
    exit(2);
}

static inline void net_free(net_t *n) {
    for (size_t i = 0; i < n->nflight; i++) {
        free(n->flight[i].data);
    }
    n->nflight = 0;
    rike_engine_free(n->a.e);
    rike_engine_free(n->b.e);
    n->a.e = n->b.e = NULL;
}

/* ---- configuration helpers -------------------------------------------------- */

/* A child "net" with the given selectors and ESP proposals. */
static inline rike_child_builder *child_cfg(const char *name, const char *local_ts, const char *remote_ts,
                                     const char *esp) {
    rike_child_builder *c = NULL;
    REQUIRE(rike_child_builder_new(name, &c) == RIKE_RESULT_OK);
    REQUIRE(rike_child_builder_add_local_ts(c, local_ts) == RIKE_RESULT_OK);
    REQUIRE(rike_child_builder_add_remote_ts(c, remote_ts) == RIKE_RESULT_OK);
    if (esp) {
        REQUIRE(rike_child_builder_add_esp_proposals(c, esp) == RIKE_RESULT_OK);
    }
    return c;
}

static inline const rike_config *one_peer_config(rike_peer_builder *p) {
    rike_config_builder *b = NULL;
    const rike_config *cfg = NULL;
    REQUIRE(rike_config_builder_new(&b) == RIKE_RESULT_OK);
    REQUIRE(rike_config_builder_add_peer(b, p) == RIKE_RESULT_OK);
    REQUIRE(rike_config_builder_build(b, &cfg) == RIKE_RESULT_OK);
    return cfg;
}

static inline int check_summary(const char *name) {
    unsigned long c = checks, f = failures;
    printf("%s: %lu checks, %lu failed\n", name, c, f);
    return f ? 1 : 0;
}

#endif
