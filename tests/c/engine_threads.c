/* Engines on several threads at once.
 *
 *  1. Four threads, each driving its own pair of engines through connect,
 *     Child SA rekey and delete on a virtual clock; all engines share two
 *     configurations (configurations are immutable and shareable).
 *  2. Two engines on two threads talking to each other in real time: each
 *     thread owns one engine, hands its datagrams to the other through a
 *     locked queue, and sleeps until its engine's deadline or a datagram.
 *
 * Built and run by tests/c/run.sh plain, under ASan+UBSan and valgrind.
 *
 * SPDX-License-Identifier: MIT OR Apache-2.0 */

#define _POSIX_C_SOURCE 200809L

#include "engine_common.h"

#include <errno.h>
#include <pthread.h>
#include <time.h>

static const char *PSK = "threads share configurations";

static const rike_config *make_config(int initiator) {
    rike_peer_builder *p = NULL;
    REQUIRE(rike_peer_builder_new(initiator ? "to-b" : "from-a", &p) == RIKE_RESULT_OK);
    if (initiator) {
        rike_addr b = addr4(192, 0, 2, 2, 500);
        OK(rike_peer_builder_set_remote(p, &b));
    }
    OK(rike_peer_builder_set_local_id(p, initiator ? "a.example" : "b.example"));
    OK(rike_peer_builder_set_remote_id(p, initiator ? "b.example" : "a.example"));
    OK(rike_peer_builder_set_psk(p, (const uint8_t *)PSK, strlen(PSK)));
    OK(rike_peer_builder_add_ike_proposals(p, "aes128gcm16-prfsha256-ecp256"));
    OK(rike_peer_builder_add_child(p, initiator ? child_cfg("net", "10.1.0.0/16", "10.2.0.0/16", "aes128gcm16")
                                                : child_cfg("net", "10.2.0.0/16", "10.1.0.0/16", "aes128gcm16")));
    return one_peer_config(p);
}

static const rike_config *cfg_a, *cfg_b;

/* ---- 1. a pair per thread ---------------------------------------------- */

static void *pair_thread(void *arg) {
    int id = (int)(intptr_t)arg;
    net_t *n = (net_t *)xmalloc(sizeof *n);
    memset(n, 0, sizeof *n);
    n->a.ip500 = addr4(192, 0, 2, 1, 500);
    uint8_t seed[32];
    memset(seed, id + 1, sizeof seed);
    REQUIRE(rike_engine_new_seeded(cfg_a, seed, sizeof seed, &n->a.e) == RIKE_RESULT_OK);
    REQUIRE(rike_engine_new(cfg_b, &n->b.e) == RIKE_RESULT_OK);
    for (int round = 0; round < 3; round++) {
        uint64_t sa = 0;
        size_t ups = count(&n->a, RIKE_EVENT_TYPE_IKE_SA_UP);
        OK(rike_engine_initiate(n->a.e, n->now, "to-b", &n->a.ip500, &sa));
        run_for(n, 5000);
        CHECK(count(&n->a, RIKE_EVENT_TYPE_IKE_SA_UP) == ups + 1);
        const ev_rec *c = last(&n->a, RIKE_EVENT_TYPE_CHILD_SA_UP);
        REQUIRE(c);
        OK(rike_engine_rekey_child(n->a.e, n->now, sa, c->child_sa));
        run_for(n, 5000);
        CHECK(count(&n->b, RIKE_EVENT_TYPE_CHILD_SA_REKEYED) == (size_t)round + 1);
        OK(rike_engine_delete_ike(n->a.e, n->now, sa));
        run_for(n, 5000);
        CHECK(count(&n->b, RIKE_EVENT_TYPE_IKE_SA_DOWN) == (size_t)round + 1);
    }
    net_free(n);
    free(n);
    return NULL;
}

/* ---- 2. one engine per thread, talking ----------------------------------- */

typedef struct {
    rike_addr local, remote;
    uint8_t data[2048];
    size_t len;
} dgram_t;

typedef struct {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    dgram_t q[64];
    size_t n;
} inbox_t;

typedef struct peer_thread {
    rike_engine *e;
    int initiator;
    inbox_t in;
    struct peer_thread *other;
    int up, child_up, down;
    uint64_t sa;
} peer_t;

static uint64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static uint64_t t0;

static void post(peer_t *to, const rike_transmit *t, const uint8_t *data, size_t len) {
    pthread_mutex_lock(&to->in.lock);
    if (to->in.n < 64 && len <= sizeof to->in.q[0].data) {
        dgram_t *d = &to->in.q[to->in.n++];
        d->local = t->remote;
        d->remote = t->local;
        memcpy(d->data, data, len);
        d->len = len;
    }
    pthread_cond_signal(&to->in.cond);
    pthread_mutex_unlock(&to->in.lock);
}

static void *peer_thread(void *arg) {
    peer_t *me = (peer_t *)arg;
    rike_addr ip = addr4(192, 0, 2, me->initiator ? 1 : 2, 500);
    if (me->initiator) {
        OK(rike_engine_initiate(me->e, now_ms() - t0, "to-b", &ip, &me->sa));
    }
    dgram_t *batch = (dgram_t *)xmalloc(sizeof(dgram_t) * 64);
    while (now_ms() - t0 < 10000) {
        uint64_t now = now_ms() - t0;
        /* inputs */
        pthread_mutex_lock(&me->in.lock);
        size_t k = me->in.n;
        memcpy(batch, me->in.q, sizeof(dgram_t) * k);
        me->in.n = 0;
        pthread_mutex_unlock(&me->in.lock);
        for (size_t i = 0; i < k; i++) {
            OK(rike_engine_handle_datagram(me->e, now, &batch[i].local, &batch[i].remote, batch[i].data,
                                           batch[i].len));
        }
        OK(rike_engine_handle_timeout(me->e, now));
        /* outputs, in order */
        uint8_t buf[2048];
        size_t len;
        rike_transmit t;
        memset(&t, 0, sizeof t);
        t.struct_size = sizeof t;
        while (rike_engine_poll_transmit(me->e, buf, sizeof buf, &len, &t) == RIKE_RESULT_OK) {
            post(me->other, &t, buf, len);
        }
        rike_event ev;
        memset(&ev, 0, sizeof ev);
        ev.struct_size = sizeof ev;
        int delete_now = 0;
        while (rike_engine_poll_event(me->e, &ev) == RIKE_RESULT_OK) {
            if (ev.kind == RIKE_EVENT_TYPE_IKE_SA_UP) {
                me->up++;
                me->sa = ev.ike_sa;
            } else if (ev.kind == RIKE_EVENT_TYPE_CHILD_SA_UP) {
                me->child_up++;
                delete_now = me->initiator;
            } else if (ev.kind == RIKE_EVENT_TYPE_IKE_SA_DOWN) {
                me->down++;
            }
        }
        if (delete_now) {
            OK(rike_engine_delete_ike(me->e, now, me->sa));
            continue;
        }
        if (me->down) {
            /* Flush what is left, then stop. */
            while (rike_engine_poll_transmit(me->e, buf, sizeof buf, &len, &t) == RIKE_RESULT_OK) {
                post(me->other, &t, buf, len);
            }
            break;
        }
        /* sleep until the deadline or a datagram, at most 50 ms */
        uint64_t deadline = now + 50, d;
        if (rike_engine_poll_timeout(me->e, &d) == RIKE_RESULT_OK && d < deadline) {
            deadline = d;
        }
        uint64_t abs_ms = deadline + t0;
        struct timespec until;
        until.tv_sec = (time_t)(abs_ms / 1000);
        until.tv_nsec = (long)(abs_ms % 1000) * 1000000L;
        pthread_mutex_lock(&me->in.lock);
        while (me->in.n == 0) {
            if (pthread_cond_timedwait(&me->in.cond, &me->in.lock, &until) == ETIMEDOUT) {
                break;
            }
        }
        pthread_mutex_unlock(&me->in.lock);
    }
    free(batch);
    return NULL;
}

static void talking_threads(void) {
    peer_t *a = (peer_t *)xmalloc(sizeof *a), *b = (peer_t *)xmalloc(sizeof *b);
    memset(a, 0, sizeof *a);
    memset(b, 0, sizeof *b);
    peer_t *ps[2] = {a, b};
    for (int i = 0; i < 2; i++) {
        pthread_condattr_t ca;
        pthread_condattr_init(&ca);
        pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
        pthread_mutex_init(&ps[i]->in.lock, NULL);
        pthread_cond_init(&ps[i]->in.cond, &ca);
        pthread_condattr_destroy(&ca);
    }
    a->initiator = 1;
    a->other = b;
    b->other = a;
    REQUIRE(rike_engine_new(cfg_a, &a->e) == RIKE_RESULT_OK);
    REQUIRE(rike_engine_new(cfg_b, &b->e) == RIKE_RESULT_OK);
    t0 = now_ms();
    pthread_t ta, tb;
    REQUIRE(pthread_create(&tb, NULL, peer_thread, b) == 0);
    REQUIRE(pthread_create(&ta, NULL, peer_thread, a) == 0);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    CHECK(a->up == 1 && b->up == 1);
    CHECK(a->child_up == 1 && b->child_up == 1);
    CHECK(a->down == 1 && b->down == 1);
    printf("talking threads: up %d/%d, child %d/%d, down %d/%d in %llu ms\n", a->up, b->up, a->child_up,
           b->child_up, a->down, b->down, (unsigned long long)(now_ms() - t0));
    for (int i = 0; i < 2; i++) {
        rike_engine_free(ps[i]->e);
        pthread_mutex_destroy(&ps[i]->in.lock);
        pthread_cond_destroy(&ps[i]->in.cond);
        free(ps[i]);
    }
}

int main(void) {
    cfg_a = make_config(1);
    cfg_b = make_config(0);
    enum { N = 4 };
    pthread_t th[N];
    for (int i = 0; i < N; i++) {
        REQUIRE(pthread_create(&th[i], NULL, pair_thread, (void *)(intptr_t)i) == 0);
    }
    for (int i = 0; i < N; i++) {
        pthread_join(th[i], NULL);
    }
    talking_threads();
    rike_config_free(cfg_a);
    rike_config_free(cfg_b);
    return check_summary("engine_threads");
}
