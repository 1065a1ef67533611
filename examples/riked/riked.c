/* riked: a small IKEv2 (and IKEv1) daemon in C on rike's engine ABI —
 * the worked example of the C API.
 *
 *   riked -c riked.conf [-v] [-n]
 *
 * -v logs more; -n reads the configuration, builds the engine's and
 * exits (0 when both are valid).
 *
 * One poll() loop: UDP 500 and 4500 (non-ESP marker included in what the
 * engine gets and gives), optional RFC 8229 TCP on 4500 (listener, and
 * streams to peers with "transport tcp"), a self-pipe for signals, and
 * the engine's deadline as the poll timeout. After every input the
 * engine's outputs are drained in the documented order: datagrams, then
 * events, then the next deadline.
 *
 * Events: Child SAs are installed through XFRM netlink when the kernel
 * supports ESP; otherwise riked says so once and only exports them. Every
 * IKE and Child SA key goes to Wireshark tables in the "keys" directory
 * (ikev2_decryption_table, ikev1_decryption_table for peers with "ikev1
 * yes", esp_sa) and to a rike key log. PSK requests are
 * answered from the "secret" lines; sign requests with the peer's
 * external key (the pattern an HSM plugin follows).
 *
 * Signals: SIGINT/SIGTERM delete every IKE SA (the peer is told; Child
 * SAs are removed from the kernel) and exit once they are gone (at most 5
 * s); a second one exits at once. SIGUSR1 rekeys every Child SA, SIGUSR2
 * every IKE SA.
 *
 * SPDX-License-Identifier: MIT OR Apache-2.0 */

#define _GNU_SOURCE

#include "conf.h"
#include "rike.h"
#include "xfrm.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#ifndef UDP_ENCAP
#define UDP_ENCAP 100
#endif
#ifndef UDP_ENCAP_ESPINUDP
#define UDP_ENCAP_ESPINUDP 2
#endif

#define MAX_CONNS 16
#define MAX_CHILDREN 256
#define MAX_SAS 256

typedef struct {
    int fd;
    rike_addr local, remote;
} tcp_conn;

typedef struct {
    uint64_t sa, child;
} child_ref;

static struct {
    riked_conf conf;
    int verbose;
    rike_engine *e;
    int udp500, udp4500, tcp_listen;
    rike_addr local500, local4500, local_tcp;
    tcp_conn conns[MAX_CONNS];
    size_t nconns;
    xfrm_t xfrm;
    int kernel_esp; /* 1 until the kernel refuses a state */
    xfrm_child installed[MAX_CHILDREN];
    size_t ninstalled;
    child_ref children[MAX_CHILDREN];
    size_t nchildren;
    uint32_t next_reqid;
    FILE *ike_table, *ikev1_table, *esp_table, *keylog;
    rike_key *signer;
    int sigpipe[2];
} d;

/* ---- logging --------------------------------------------------------------- */

static void logf_(const char *fmt, ...) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    localtime_r(&ts.tv_sec, &tm);
    fprintf(stderr, "%02d:%02d:%02d.%03ld riked: ", tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    fflush(stderr);
}

static void engine_log(void *userdata, uint32_t level, const char *message) {
    (void)userdata;
    if (level <= RIKE_LOG_LEVEL_INFO || d.verbose) {
        logf_("engine: %s", message);
    }
}

static const char *addr_text(const rike_addr *a, char *buf, size_t cap) {
    size_t n;
    if (rike_addr_format(a, true, buf, cap, &n) != RIKE_RESULT_OK) {
        snprintf(buf, cap, "?");
    }
    return buf;
}

static void hex8(const uint8_t spi[8], char out[17]) {
    for (int i = 0; i < 8; i++) {
        snprintf(out + 2 * i, 3, "%02x", spi[i]);
    }
}

/* "ENCR_AES_GCM_16_256", "ENCR_AES_CBC_128/AUTH_HMAC_SHA2_256_128/Curve25519",
 * as the rike command line tool writes them. */
static void child_algorithms(const rike_child_sa *c, char *out, size_t cap) {
    const char *e = rike_transform_name(1, c->encr_id);
    int n = e ? snprintf(out, cap, "%s", e) : snprintf(out, cap, "ENCR_%u", c->encr_id);
    if (c->key_bits && n >= 0 && (size_t)n < cap) {
        n += snprintf(out + n, cap - (size_t)n, "_%u", c->key_bits);
    }
    if (c->integ_id && n >= 0 && (size_t)n < cap) {
        const char *i = rike_transform_name(3, c->integ_id);
        n += i ? snprintf(out + n, cap - (size_t)n, "/%s", i) : snprintf(out + n, cap - (size_t)n, "/AUTH_%u", c->integ_id);
    }
    if (c->ke_method && n >= 0 && (size_t)n < cap) {
        const char *k = rike_transform_name(4, c->ke_method);
        n += k ? snprintf(out + n, cap - (size_t)n, "/%s", k) : snprintf(out + n, cap - (size_t)n, "/KE_%u", c->ke_method);
    }
    if (c->esn && n >= 0 && (size_t)n < cap) {
        snprintf(out + n, cap - (size_t)n, "/ESN");
    }
}

/* A traffic selector as "10.1.0.0/16" or "10.0.0.1-10.0.0.9", with
 * "[proto/port]" when it has them. */
static void ts_text(const rike_ts *t, char *out, size_t cap) {
    rike_addr a, b;
    memset(&a, 0, sizeof a);
    a.family = t->family;
    memcpy(a.ip, t->start, 16);
    b = a;
    memcpy(b.ip, t->end, 16);
    char sa[48], sb[48];
    size_t n;
    if (rike_addr_format(&a, false, sa, sizeof sa, &n) != RIKE_RESULT_OK ||
        rike_addr_format(&b, false, sb, sizeof sb, &n) != RIKE_RESULT_OK) {
        snprintf(out, cap, "?");
        return;
    }
    int bits = t->family == RIKE_AF_INET6 ? 128 : 32, p = 0;
    while (p < bits && ((t->start[p / 8] >> (7 - p % 8)) & 1) == ((t->end[p / 8] >> (7 - p % 8)) & 1)) {
        p++;
    }
    int aligned = 1;
    for (int k = p; k < bits; k++) {
        int sbit = (t->start[k / 8] >> (7 - k % 8)) & 1, ebit = (t->end[k / 8] >> (7 - k % 8)) & 1;
        aligned &= sbit == 0 && ebit == 1;
    }
    int w = aligned ? snprintf(out, cap, "%s/%d", sa, p) : snprintf(out, cap, "%s-%s", sa, sb);
    if (w >= 0 && (size_t)w < cap && (t->protocol || t->start_port != 0 || t->end_port != 65535)) {
        if (t->start_port == 0 && t->end_port == 65535) {
            snprintf(out + w, cap - (size_t)w, "[%u]", t->protocol);
        } else if (t->start_port == t->end_port) {
            snprintf(out + w, cap - (size_t)w, "[%u/%u]", t->protocol, t->start_port);
        } else {
            snprintf(out + w, cap - (size_t)w, "[%u/%u-%u]", t->protocol, t->start_port, t->end_port);
        }
    }
}

static void ts_list(const rike_ts *ts, size_t n, char *out, size_t cap) {
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < n && used + 1 < cap; i++) {
        char one[128];
        ts_text(&ts[i], one, sizeof one);
        int w = snprintf(out + used, cap - used, "%s%s", i ? " " : "", one);
        if (w < 0) {
            break;
        }
        used += (size_t)w;
    }
}

static uint64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* ---- addresses -------------------------------------------------------------- */

static socklen_t to_sockaddr(const rike_addr *a, struct sockaddr_storage *ss) {
    memset(ss, 0, sizeof *ss);
    if (a->family == RIKE_AF_INET6) {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons(a->port);
        memcpy(&s6->sin6_addr, a->ip, 16);
        return sizeof *s6;
    }
    struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
    s4->sin_family = AF_INET;
    s4->sin_port = htons(a->port);
    memcpy(&s4->sin_addr, a->ip, 4);
    return sizeof *s4;
}

static rike_addr from_sockaddr(const struct sockaddr_storage *ss) {
    rike_addr a;
    memset(&a, 0, sizeof a);
    if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;
        a.family = RIKE_AF_INET6;
        a.port = ntohs(s6->sin6_port);
        memcpy(a.ip, &s6->sin6_addr, 16);
    } else {
        const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;
        a.family = RIKE_AF_INET;
        a.port = ntohs(s4->sin_port);
        memcpy(a.ip, &s4->sin_addr, 4);
    }
    return a;
}

static int same_addr(const rike_addr *a, const rike_addr *b) {
    return a->family == b->family && a->port == b->port && memcmp(a->ip, b->ip, 16) == 0;
}

/* ---- sockets ------------------------------------------------------------------ */

static int udp_socket(const rike_addr *local, int encap) {
    struct sockaddr_storage ss;
    socklen_t len = to_sockaddr(local, &ss);
    int fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        return -1;
    }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, (struct sockaddr *)&ss, len) < 0) {
        close(fd);
        return -1;
    }
    if (encap) {
        /* With kernel ESP, ESP in UDP on this socket goes to XFRM and only
         * IKE (non-ESP marker) reaches us. */
        int type = UDP_ENCAP_ESPINUDP;
        if (setsockopt(fd, IPPROTO_UDP, UDP_ENCAP, &type, sizeof type) < 0) {
            logf_("UDP_ENCAP on port %u: %s (ESP in UDP stays in user space)", local->port, strerror(errno));
        }
    }
    return fd;
}

static int tcp_listener(const rike_addr *local) {
    struct sockaddr_storage ss;
    socklen_t len = to_sockaddr(local, &ss);
    int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        return -1;
    }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, 8) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static tcp_conn *conn_for(const rike_addr *remote) {
    for (size_t i = 0; i < d.nconns; i++) {
        if (same_addr(&d.conns[i].remote, remote)) {
            return &d.conns[i];
        }
    }
    return NULL;
}

static void conn_close(tcp_conn *c) {
    char r[64];
    logf_("TCP stream with %s closed", addr_text(&c->remote, r, sizeof r));
    rike_engine_close_stream(d.e, &c->remote);
    close(c->fd);
    *c = d.conns[--d.nconns];
}

static int write_all(int fd, const uint8_t *p, size_t n) {
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR) {
                continue;
            }
            if (errno == EAGAIN) {
                struct pollfd pf = {fd, POLLOUT, 0};
                poll(&pf, 1, 1000);
                continue;
            }
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* ---- key tables ---------------------------------------------------------------- */

static FILE *open_table(const char *name) {
    char path[600];
    snprintf(path, sizeof path, "%s/%s", d.conf.keys, name);
    FILE *f = fopen(path, "a");
    if (!f) {
        logf_("cannot write %s: %s", path, strerror(errno));
    } else {
        chmod(path, 0600);
    }
    return f;
}

/* Writes the current event's keys in `format` to `f`. */
static void export_keys(FILE *f, uint32_t format) {
    char text[2048];
    size_t n = 0;
    if (!f) {
        return;
    }
    rike_result r = rike_engine_event_keys(d.e, format, text, sizeof text, &n);
    if (r == RIKE_RESULT_OK) {
        fputs(text, f);
        fflush(f);
    } else {
        logf_("key export: %s (%s)", rike_result_str(r), rike_last_error());
    }
}

/* ---- Child SAs in the kernel ------------------------------------------------------ */

static void install_child(uint64_t sa, uint64_t child, const rike_child_sa *c) {
    if (d.nchildren < MAX_CHILDREN) {
        d.children[d.nchildren].sa = sa;
        d.children[d.nchildren].child = child;
        d.nchildren++;
    }
    if (!d.conf.xfrm || !d.kernel_esp) {
        return;
    }
    if (c->encap == 2) {
        logf_("Child SA #%llu runs in the RFC 8229 TCP stream: riked does not install ESP in TCP "
              "(the kernel's espintcp); keys exported only",
              (unsigned long long)child);
        return;
    }
    if (d.ninstalled >= MAX_CHILDREN) {
        logf_("too many Child SAs in the kernel; #%llu not installed", (unsigned long long)child);
        return;
    }
    char err[256] = "";
    xfrm_child *ic = &d.installed[d.ninstalled];
    int rc = xfrm_install(&d.xfrm, child, c, ++d.next_reqid, ic, err, sizeof err);
    if (rc == 0) {
        d.ninstalled++;
        logf_("Child SA #%llu installed in the kernel (XFRM states 0x%08x in, 0x%08x out, reqid %u)",
              (unsigned long long)child, c->spi_in, c->spi_out, ic->reqid);
        return;
    }
    if (xfrm_is_unsupported(rc)) {
        d.kernel_esp = 0;
        logf_("the kernel has no ESP support (%s): Child SAs are NOT installed and no traffic is "
              "protected; their keys are exported to %s/esp_sa for Wireshark",
              err, d.conf.keys[0] ? d.conf.keys : "(no keys directory)");
    } else {
        logf_("Child SA #%llu: not installed: %s", (unsigned long long)child, err);
    }
}

static void remove_child(uint64_t child) {
    for (size_t i = 0; i < d.nchildren; i++) {
        if (d.children[i].child == child) {
            d.children[i] = d.children[--d.nchildren];
            break;
        }
    }
    for (size_t i = 0; i < d.ninstalled; i++) {
        if (d.installed[i].child == child) {
            int rc = xfrm_remove(&d.xfrm, &d.installed[i]);
            logf_("Child SA #%llu removed from the kernel%s%s", (unsigned long long)child, rc ? ": " : "",
                  rc ? strerror(-rc) : "");
            d.installed[i] = d.installed[--d.ninstalled];
            return;
        }
    }
}

/* ---- events ----------------------------------------------------------------------- */

static const char *secret_for(const char *id) {
    for (size_t i = 0; i < d.conf.nsecrets; i++) {
        if (strcmp(d.conf.secrets[i].id, id) == 0) {
            return d.conf.secrets[i].psk;
        }
    }
    return NULL;
}

/* Event lines follow the rike command line tool's, so that the same
 * interop checks (tests/interop/check.py) read both. */
static void on_event(const rike_event *ev, uint64_t now) {
    char a1[64], a2[64], s1[17], s2[17];
    switch (ev->kind) {
    case RIKE_EVENT_TYPE_IKE_SA_UP: {
        const rike_ike_sa_up *u = &ev->u.ike_up;
        hex8(u->spi_i, s1);
        hex8(u->spi_r, s2);
        logf_("IKE SA %llu up (%s): peer '%s', %s[%s] === %s[%s], SPIs %s_i %s_r, %s",
              (unsigned long long)ev->ike_sa, u->initiator ? "initiator" : "responder", u->peer,
              addr_text(&u->local, a1, sizeof a1), u->local_id.text, addr_text(&u->remote, a2, sizeof a2),
              u->remote_id.text, s1, s2, u->algorithms);
        break;
    }
    case RIKE_EVENT_TYPE_IKE_SA_DOWN:
        logf_("IKE SA %llu down: %s", (unsigned long long)ev->ike_sa, ev->u.down.message);
        break;
    case RIKE_EVENT_TYPE_IKE_SA_REKEYED:
        hex8(ev->u.ike_rekeyed.spi_i, s1);
        hex8(ev->u.ike_rekeyed.spi_r, s2);
        logf_("IKE SA %llu rekeyed: now IKE SA %llu, SPIs %s_i %s_r", (unsigned long long)ev->u.ike_rekeyed.old_sa,
              (unsigned long long)ev->ike_sa, s1, s2);
        for (size_t i = 0; i < d.nchildren; i++) {
            if (d.children[i].sa == ev->u.ike_rekeyed.old_sa) {
                d.children[i].sa = ev->ike_sa;
            }
        }
        break;
    case RIKE_EVENT_TYPE_IKE_KEYS:
        export_keys(d.ike_table, RIKE_KEY_FORMAT_IKEV2_DECRYPTION_TABLE);
        export_keys(d.keylog, RIKE_KEY_FORMAT_KEY_LOG);
        break;
    case RIKE_EVENT_TYPE_IKEV1_KEYS:
        export_keys(d.ikev1_table, RIKE_KEY_FORMAT_IKEV1_DECRYPTION_TABLE);
        export_keys(d.keylog, RIKE_KEY_FORMAT_KEY_LOG);
        break;
    case RIKE_EVENT_TYPE_CHILD_SA_UP:
    case RIKE_EVENT_TYPE_CHILD_SA_REKEYED: {
        const rike_child_sa *c = &ev->u.child;
        char algs[160], lts[256], rts[256], what[64];
        child_algorithms(c, algs, sizeof algs);
        ts_list(c->local_ts, c->local_ts_len, lts, sizeof lts);
        ts_list(c->remote_ts, c->remote_ts_len, rts, sizeof rts);
        if (ev->kind == RIKE_EVENT_TYPE_CHILD_SA_UP) {
            snprintf(what, sizeof what, "#%llu up (IKE SA %llu)", (unsigned long long)ev->child_sa,
                     (unsigned long long)ev->ike_sa);
        } else {
            snprintf(what, sizeof what, "#%llu rekeyed: now #%llu", (unsigned long long)c->old_child,
                     (unsigned long long)ev->child_sa);
        }
        logf_("Child SA %s %s: SPIs %08x_i %08x_o, %s, TS %s === %s, %s%s (%s <-> %s)", c->name, what, c->spi_in,
              c->spi_out, algs, lts, rts, c->mode == RIKE_IPSEC_MODE_TRANSPORT ? "transport" : "tunnel",
              c->encap == 2 ? ", in the TCP stream" : c->encap ? ", UDP-encapsulated" : "",
              addr_text(&c->local, a1, sizeof a1),
              addr_text(&c->remote, a2, sizeof a2));
        export_keys(d.esp_table, RIKE_KEY_FORMAT_ESP_SA);
        export_keys(d.keylog, RIKE_KEY_FORMAT_KEY_LOG);
        install_child(ev->ike_sa, ev->child_sa, c);
        break;
    }
    case RIKE_EVENT_TYPE_CHILD_SA_DOWN:
        logf_("Child SA #%llu down (IKE SA %llu): SPIs %08x_i %08x_o, %s", (unsigned long long)ev->child_sa,
              (unsigned long long)ev->ike_sa, ev->u.child_down.spi_in, ev->u.child_down.spi_out,
              ev->u.child_down.down.message);
        remove_child(ev->child_sa);
        break;
    case RIKE_EVENT_TYPE_CHILD_SA_FAILED: {
        const char *nn = rike_notify_name(ev->u.child_failed.notify_type);
        logf_("Child SA %s on IKE SA %llu failed: the peer answered %s (%u)", ev->u.child_failed.name,
              (unsigned long long)ev->ike_sa, nn ? nn : "notify", ev->u.child_failed.notify_type);
        break;
    }
    case RIKE_EVENT_TYPE_PSK_REQUEST: {
        const char *psk = secret_for(ev->u.psk_request.peer_id.text);
        logf_("PSK requested for '%s': %s", ev->u.psk_request.peer_id.text, psk ? "found" : "none, refused");
        rike_result r = rike_engine_provide_psk(d.e, now, ev->ike_sa, ev->request_id, (const uint8_t *)psk,
                                                psk ? strlen(psk) : 0);
        if (r != RIKE_RESULT_OK) {
            logf_("provide_psk: %s", rike_result_str(r));
        }
        break;
    }
    case RIKE_EVENT_TYPE_SIGN_REQUEST: {
        /* The data is borrowed: sign before the next engine call. */
        uint8_t sig[1024];
        size_t n = 0;
        rike_result r = RIKE_RESULT_UNSUPPORTED;
        if (d.signer) {
            r = rike_key_sign(d.signer, ev->u.sign_request.scheme, ev->u.sign_request.der != 0,
                              ev->u.sign_request.data.ptr, ev->u.sign_request.data.len, sig, sizeof sig, &n);
        }
        logf_("signature requested (scheme %u) for IKE SA %llu: %s", ev->u.sign_request.scheme,
              (unsigned long long)ev->ike_sa, rike_result_str(r));
        r = rike_engine_provide_signature(d.e, now, ev->ike_sa, ev->request_id, r == RIKE_RESULT_OK ? sig : NULL,
                                          n);
        if (r != RIKE_RESULT_OK) {
            logf_("provide_signature: %s", rike_result_str(r));
        }
        break;
    }
    case RIKE_EVENT_TYPE_HALF_OPEN_REQUEST:
        rike_engine_admit(d.e, now, ev->request_id, RIKE_ADMISSION_ACCEPT);
        break;
    case RIKE_EVENT_TYPE_PEER_ADDRESS_CHANGED:
        logf_("IKE SA %llu: the peer is now at %s", (unsigned long long)ev->ike_sa,
              addr_text(&ev->u.address_changed.remote, a1, sizeof a1));
        break;
    default:
        break; /* newer event types: ignore */
    }
}

/* Drains the engine: datagrams (sent), then events (handled), in order. */
static void drain(void) {
    for (;;) {
        int any = 0;
        uint8_t buf[65536];
        size_t len = 0;
        rike_transmit t;
        memset(&t, 0, sizeof t);
        t.struct_size = sizeof t;
        while (rike_engine_poll_transmit(d.e, buf, sizeof buf, &len, &t) == RIKE_RESULT_OK) {
            any = 1;
            if (t.flags & RIKE_TRANSMIT_TCP) {
                tcp_conn *c = conn_for(&t.remote);
                if (!c || write_all(c->fd, buf, len) < 0) {
                    logf_("no TCP stream for a frame to %s", addr_text(&t.remote, (char[64]){0}, 64));
                }
                continue;
            }
            struct sockaddr_storage ss;
            socklen_t sl = to_sockaddr(&t.remote, &ss);
            int fd = t.local.port == 4500 ? d.udp4500 : d.udp500;
            if (sendto(fd, buf, len, 0, (struct sockaddr *)&ss, sl) < 0) {
                char r[64];
                logf_("sendto %s: %s", addr_text(&t.remote, r, sizeof r), strerror(errno));
            }
        }
        rike_event ev;
        memset(&ev, 0, sizeof ev);
        ev.struct_size = sizeof ev;
        uint64_t now = now_ms();
        while (rike_engine_poll_event(d.e, &ev) == RIKE_RESULT_OK) {
            any = 1;
            on_event(&ev, now);
            memset(&ev, 0, sizeof ev);
            ev.struct_size = sizeof ev;
        }
        /* An answer to a decision may have queued more datagrams. */
        if (!any) {
            return;
        }
    }
}

/* ---- configuration --------------------------------------------------------------- */

static uint8_t *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        logf_("%s: %s", path, strerror(errno));
        return NULL;
    }
    size_t cap = 8192, n = 0, got;
    uint8_t *buf = (uint8_t *)malloc(cap);
    while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            uint8_t *nb = (uint8_t *)realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
    }
    fclose(f);
    *len = n;
    return buf;
}

#define TRY(call, what)                                                                         \
    do {                                                                                        \
        rike_result r_ = (call);                                                                \
        if (r_ != RIKE_RESULT_OK) {                                                             \
            logf_("peer '%s': %s: %s (%s)", pc->name, what, rike_result_str(r_), rike_last_error()); \
            return -1;                                                                          \
        }                                                                                       \
    } while (0)

static int file_setting(rike_peer_builder *p, const riked_peer_conf *pc, const char *path,
                        rike_result (*set)(rike_peer_builder *, const uint8_t *, size_t), const char *what) {
    size_t len;
    uint8_t *data = read_file(path, &len);
    if (!data) {
        return -1;
    }
    rike_result r = set(p, data, len);
    memset(data, 0, len);
    free(data);
    if (r != RIKE_RESULT_OK) {
        logf_("peer '%s': %s %s: %s (%s)", pc->name, what, path, rike_result_str(r), rike_last_error());
        return -1;
    }
    return 0;
}

static int add_peer(rike_config_builder *b, const riked_peer_conf *pc) {
    rike_peer_builder *p = NULL;
    if (rike_peer_builder_new(pc->name, &p) != RIKE_RESULT_OK) {
        return -1;
    }
    int rc = -1;
    do {
        if (pc->remote[0]) {
            rike_addr a;
            if (rike_addr_parse(pc->remote, 500, &a) != RIKE_RESULT_OK) {
                logf_("peer '%s': remote '%s' is not an address", pc->name, pc->remote);
                break;
            }
            if (pc->tcp) {
                a.port = 4500;
            }
            if (rike_peer_builder_set_remote(p, &a) != RIKE_RESULT_OK) {
                break;
            }
        }
        if (rike_peer_builder_set_local_id(p, pc->local_id) != RIKE_RESULT_OK ||
            (pc->remote_id[0] && rike_peer_builder_set_remote_id(p, pc->remote_id) != RIKE_RESULT_OK)) {
            logf_("peer '%s': identities: %s", pc->name, rike_last_error());
            break;
        }
        if (pc->has_psk &&
            rike_peer_builder_set_psk(p, (const uint8_t *)pc->psk, strlen(pc->psk)) != RIKE_RESULT_OK) {
            logf_("peer '%s': psk: %s", pc->name, rike_last_error());
            break;
        }
        if (pc->psk_lookup && rike_peer_builder_set_psk_on_request(p) != RIKE_RESULT_OK) {
            break;
        }
        if (pc->key[0] && !pc->external_key &&
            file_setting(p, pc, pc->key, rike_peer_builder_set_private_key, "key") < 0) {
            break;
        }
        if (pc->key[0] && pc->external_key) {
            /* The key stays with riked (as it would in an HSM); the engine
             * asks for each signature. */
            size_t len;
            uint8_t *data = read_file(pc->key, &len);
            if (!data) {
                break;
            }
            rike_key_free(d.signer);
            d.signer = NULL;
            rike_result r = rike_key_load(data, len, &d.signer);
            memset(data, 0, len);
            free(data);
            uint32_t schemes[16];
            size_t ns = 0;
            if (r != RIKE_RESULT_OK || rike_key_schemes(d.signer, schemes, 16, &ns) != RIKE_RESULT_OK ||
                rike_peer_builder_set_external_key(p, schemes, ns) != RIKE_RESULT_OK) {
                logf_("peer '%s': external key %s: %s", pc->name, pc->key, rike_last_error());
                break;
            }
        }
        int bad = 0;
        for (size_t i = 0; i < pc->ncerts && !bad; i++) {
            bad = file_setting(p, pc, pc->certs[i], rike_peer_builder_add_certificate, "cert") < 0;
        }
        for (size_t i = 0; i < pc->ncas && !bad; i++) {
            bad = file_setting(p, pc, pc->cas[i], rike_peer_builder_add_trusted_ca, "ca") < 0;
        }
        if (bad) {
            break;
        }
        if (pc->ike[0] && rike_peer_builder_add_ike_proposals(p, pc->ike) != RIKE_RESULT_OK) {
            logf_("peer '%s': ike: %s", pc->name, rike_last_error());
            break;
        }
        if (pc->ikev1) {
            rike_ikev1_options o;
            rike_ikev1_options_default(&o);
            o.aggressive = pc->aggressive ? 1 : 0;
            if (rike_peer_builder_set_ikev1(p, &o) != RIKE_RESULT_OK) {
                logf_("peer '%s': ikev1: %s", pc->name, rike_last_error());
                break;
            }
        }
        if (rike_peer_builder_set_timers(p, pc->rekey_ms, pc->dpd_ms) != RIKE_RESULT_OK ||
            rike_peer_builder_set_options(p, (pc->encap || pc->tcp) ? RIKE_PEER_FORCE_ENCAP : 0) !=
                RIKE_RESULT_OK) {
            break;
        }
        size_t i;
        for (i = 0; i < pc->nchildren; i++) {
            const riked_child_conf *cc = &pc->children[i];
            rike_child_builder *c = NULL;
            if (rike_child_builder_new(cc->name, &c) != RIKE_RESULT_OK) {
                break;
            }
            if ((cc->local_ts[0] && rike_child_builder_add_local_ts(c, cc->local_ts) != RIKE_RESULT_OK) ||
                (cc->remote_ts[0] && rike_child_builder_add_remote_ts(c, cc->remote_ts) != RIKE_RESULT_OK) ||
                (cc->esp[0] && rike_child_builder_add_esp_proposals(c, cc->esp) != RIKE_RESULT_OK) ||
                rike_child_builder_set_mode(c, cc->transport_mode ? RIKE_IPSEC_MODE_TRANSPORT
                                                                  : RIKE_IPSEC_MODE_TUNNEL) != RIKE_RESULT_OK ||
                rike_child_builder_set_lifetimes(c, cc->rekey_ms, cc->lifetime_ms) != RIKE_RESULT_OK) {
                logf_("peer '%s' child '%s': %s", pc->name, cc->name, rike_last_error());
                rike_child_builder_free(c);
                break;
            }
            if (rike_peer_builder_add_child(p, c) != RIKE_RESULT_OK) {
                logf_("peer '%s' child '%s': %s", pc->name, cc->name, rike_last_error());
                break;
            }
        }
        if (i < pc->nchildren) {
            break;
        }
        rike_result r = rike_config_builder_add_peer(b, p);
        p = NULL; /* consumed */
        if (r != RIKE_RESULT_OK) {
            logf_("peer '%s': %s", pc->name, rike_last_error());
            break;
        }
        rc = 0;
    } while (0);
    rike_peer_builder_free(p);
    return rc;
}

static const rike_config *build_config(void) {
    rike_config_builder *b = NULL;
    if (rike_config_builder_new(&b) != RIKE_RESULT_OK) {
        return NULL;
    }
    for (size_t i = 0; i < d.conf.npeers; i++) {
        if (add_peer(b, &d.conf.peers[i]) < 0) {
            rike_config_builder_free(b);
            return NULL;
        }
    }
    const rike_config *cfg = NULL;
    if (rike_config_builder_build(b, &cfg) != RIKE_RESULT_OK) {
        logf_("configuration: %s", rike_last_error());
        return NULL;
    }
    return cfg;
}

/* ---- signals ----------------------------------------------------------------------- */

static void on_signal(int sig) {
    int saved = errno;
    unsigned char c = (unsigned char)sig;
    if (write(d.sigpipe[1], &c, 1) < 0) {
        /* nothing to do: the pipe is full of signals already */
    }
    errno = saved;
}

/* ---- main -------------------------------------------------------------------------- */

static int start_tcp_peer(const riked_peer_conf *pc, uint64_t now) {
    rike_addr remote;
    if (rike_addr_parse(pc->remote, 4500, &remote) != RIKE_RESULT_OK) {
        return -1;
    }
    remote.port = 4500;
    struct sockaddr_storage ss;
    socklen_t sl = to_sockaddr(&remote, &ss);
    int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&ss, sl) < 0 || d.nconns >= MAX_CONNS) {
        logf_("peer '%s': TCP connect to %s:4500: %s", pc->name, pc->remote, strerror(errno));
        if (fd >= 0) {
            close(fd);
        }
        return -1;
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    struct sockaddr_storage ls;
    socklen_t ll = sizeof ls;
    getsockname(fd, (struct sockaddr *)&ls, &ll);
    tcp_conn *c = &d.conns[d.nconns++];
    c->fd = fd;
    c->local = from_sockaddr(&ls);
    c->remote = remote;
    rike_engine_open_stream(d.e, &remote);
    char a[64];
    logf_("peer '%s': RFC 8229 stream to %s open", pc->name, addr_text(&remote, a, sizeof a));
    uint64_t sa = 0;
    rike_result r = rike_engine_initiate(d.e, now, pc->name, &d.local500, &sa);
    logf_("initiating IKE SA %llu with peer '%s' over TCP: %s", (unsigned long long)sa, pc->name,
          rike_result_str(r));
    return 0;
}

static void shutdown_sas(uint64_t now) {
    uint64_t sas[MAX_SAS];
    size_t n = 0;
    if (rike_engine_sas(d.e, sas, MAX_SAS, &n) != RIKE_RESULT_OK) {
        n = 0;
    }
    logf_("shutting down: deleting %zu IKE SA(s)", n);
    for (size_t i = 0; i < n; i++) {
        rike_engine_delete_ike(d.e, now, sas[i]);
    }
}

static void rekey_all(int ike) {
    uint64_t now = now_ms();
    if (ike) {
        uint64_t sas[MAX_SAS];
        size_t n = 0;
        if (rike_engine_sas(d.e, sas, MAX_SAS, &n) == RIKE_RESULT_OK) {
            for (size_t i = 0; i < n; i++) {
                rike_result r = rike_engine_rekey_ike(d.e, now, sas[i]);
                logf_("rekey IKE SA %llu: %s", (unsigned long long)sas[i], rike_result_str(r));
            }
        }
        return;
    }
    child_ref copy[MAX_CHILDREN];
    size_t n = d.nchildren;
    memcpy(copy, d.children, n * sizeof copy[0]);
    for (size_t i = 0; i < n; i++) {
        rike_result r = rike_engine_rekey_child(d.e, now, copy[i].sa, copy[i].child);
        logf_("rekey Child SA #%llu: %s", (unsigned long long)copy[i].child, rike_result_str(r));
    }
}

static void usage(void) {
    fprintf(stderr, "usage: riked -c CONFIG [-v] [-n]\n");
    exit(2);
}

int main(int argc, char **argv) {
    const char *conf_path = NULL;
    int opt, check_only = 0;
    while ((opt = getopt(argc, argv, "c:vn")) != -1) {
        switch (opt) {
        case 'c': conf_path = optarg; break;
        case 'v': d.verbose = 1; break;
        case 'n': check_only = 1; break;
        default: usage();
        }
    }
    if (!conf_path) {
        usage();
    }
    if (rike_abi_version() != RIKE_ABI_VERSION) {
        fprintf(stderr, "riked: built for rike ABI %u, the library has %u\n", RIKE_ABI_VERSION, rike_abi_version());
        return 1;
    }
    char err[512];
    if (riked_conf_load(conf_path, &d.conf, err, sizeof err) < 0) {
        fprintf(stderr, "riked: %s\n", err);
        return 1;
    }
    d.udp500 = d.udp4500 = d.tcp_listen = -1;
    d.xfrm.fd = -1;
    d.kernel_esp = 1;
    if (rike_addr_parse(d.conf.listen, 500, &d.local500) != RIKE_RESULT_OK) {
        fprintf(stderr, "riked: listen '%s' is not an address\n", d.conf.listen);
        return 1;
    }
    d.local4500 = d.local500;
    d.local4500.port = 4500;
    d.local_tcp = d.local4500;
    logf_("rike %s (ABI %u), config %s", rike_version(), rike_abi_version(), conf_path);

    const rike_config *cfg = build_config();
    if (!cfg) {
        return 1;
    }
    if (rike_engine_new(cfg, &d.e) != RIKE_RESULT_OK) {
        logf_("engine: %s", rike_last_error());
        return 1;
    }
    size_t npeers = rike_config_peer_count(cfg);
    rike_config_free(cfg); /* the engine keeps its own reference */
    if (check_only) {
        logf_("configuration OK: %zu peer(s)", npeers);
        rike_engine_free(d.e);
        rike_key_free(d.signer);
        return 0;
    }
    rike_engine_set_log(d.e, engine_log, NULL);
    rike_engine_set_unix_time(d.e, now_ms(), (uint64_t)time(NULL));

    if (d.conf.xfrm) {
        int rc = xfrm_open(&d.xfrm);
        if (rc < 0) {
            logf_("XFRM netlink: %s: Child SAs will only be exported", strerror(-rc));
            d.kernel_esp = 0;
        }
    }
    if (d.conf.keys[0]) {
        mkdir(d.conf.keys, 0700);
        d.ike_table = open_table("ikev2_decryption_table");
        for (size_t i = 0; i < d.conf.npeers; i++) {
            if (d.conf.peers[i].ikev1 && !d.ikev1_table) {
                d.ikev1_table = open_table("ikev1_decryption_table");
            }
        }
        d.esp_table = open_table("esp_sa");
        d.keylog = open_table("rike.keys");
        /* The directory is a Wireshark profile: tell it to decrypt ESP. */
        char prefs[600];
        snprintf(prefs, sizeof prefs, "%s/preferences", d.conf.keys);
        FILE *pf = fopen(prefs, "w");
        if (pf) {
            fputs("esp.enable_encryption_decode: TRUE\n", pf);
            fclose(pf);
        }
    }
    d.udp500 = udp_socket(&d.local500, 0);
    d.udp4500 = udp_socket(&d.local4500, d.conf.xfrm && d.kernel_esp);
    if (d.udp500 < 0 || d.udp4500 < 0) {
        logf_("cannot bind UDP 500/4500 on %s: %s", d.conf.listen, strerror(errno));
        return 1;
    }
    if (d.conf.tcp) {
        d.tcp_listen = tcp_listener(&d.local_tcp);
        if (d.tcp_listen < 0) {
            logf_("cannot listen on TCP 4500: %s", strerror(errno));
            return 1;
        }
    }
    logf_("listening on %s UDP 500, 4500%s", d.conf.listen, d.conf.tcp ? ", TCP 4500 (RFC 8229)" : "");

    if (pipe2(d.sigpipe, O_CLOEXEC | O_NONBLOCK) < 0) {
        return 1;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGUSR1, &sa, NULL);
    sigaction(SIGUSR2, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    uint64_t now = now_ms();
    for (size_t i = 0; i < d.conf.npeers; i++) {
        const riked_peer_conf *pc = &d.conf.peers[i];
        if (!pc->auto_start || !pc->remote[0]) {
            continue;
        }
        if (pc->tcp) {
            start_tcp_peer(pc, now);
            continue;
        }
        uint64_t h = 0;
        rike_result r = rike_engine_initiate(d.e, now, pc->name, &d.local500, &h);
        logf_("initiating IKE SA %llu with peer '%s': %s", (unsigned long long)h, pc->name, rike_result_str(r));
    }
    drain();

    int stopping = 0;
    uint64_t stop_deadline = 0;
    for (;;) {
        struct pollfd pf[4 + MAX_CONNS];
        nfds_t n = 0;
        pf[n++] = (struct pollfd){d.sigpipe[0], POLLIN, 0};
        pf[n++] = (struct pollfd){d.udp500, POLLIN, 0};
        pf[n++] = (struct pollfd){d.udp4500, POLLIN, 0};
        if (d.tcp_listen >= 0) {
            pf[n++] = (struct pollfd){d.tcp_listen, POLLIN, 0};
        }
        nfds_t first_conn = n;
        for (size_t i = 0; i < d.nconns; i++) {
            pf[n++] = (struct pollfd){d.conns[i].fd, POLLIN, 0};
        }
        /* The engine's deadline is the poll timeout. */
        int timeout = -1;
        uint64_t deadline = 0;
        now = now_ms();
        if (rike_engine_poll_timeout(d.e, &deadline) == RIKE_RESULT_OK) {
            timeout = deadline <= now ? 0 : (int)(deadline - now > 60000 ? 60000 : deadline - now);
        }
        if (stopping) {
            size_t left = 0;
            rike_engine_sas(d.e, NULL, 0, &left);
            if (left == 0 || now >= stop_deadline) {
                logf_("%s", left ? "giving up on the remaining SAs" : "all SAs deleted");
                break;
            }
            int until = (int)(stop_deadline - now);
            if (timeout < 0 || timeout > until) {
                timeout = until;
            }
        }
        int pr = poll(pf, n, timeout);
        if (pr < 0 && errno != EINTR) {
            logf_("poll: %s", strerror(errno));
            break;
        }
        now = now_ms();
        if (pr > 0 && (pf[0].revents & POLLIN)) {
            unsigned char sig;
            while (read(d.sigpipe[0], &sig, 1) == 1) {
                if (sig == SIGUSR1) {
                    rekey_all(0);
                } else if (sig == SIGUSR2) {
                    rekey_all(1);
                } else if (stopping) {
                    logf_("second signal: exiting now");
                    stop_deadline = now;
                } else {
                    logf_("signal %d", sig);
                    stopping = 1;
                    stop_deadline = now + 5000;
                    shutdown_sas(now);
                }
            }
        }
        for (int k = 1; k <= 2 && pr > 0; k++) {
            if (!(pf[k].revents & POLLIN)) {
                continue;
            }
            const rike_addr *local = k == 1 ? &d.local500 : &d.local4500;
            for (;;) {
                uint8_t buf[65536];
                struct sockaddr_storage from;
                socklen_t fl = sizeof from;
                ssize_t got = recvfrom(pf[k].fd, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl);
                if (got < 0) {
                    break;
                }
                rike_addr remote = from_sockaddr(&from);
                rike_engine_handle_datagram(d.e, now, local, &remote, buf, (size_t)got);
                drain();
            }
        }
        if (d.tcp_listen >= 0 && pr > 0 && (pf[3].revents & POLLIN)) {
            struct sockaddr_storage from;
            socklen_t fl = sizeof from;
            int fd = accept4(d.tcp_listen, (struct sockaddr *)&from, &fl, SOCK_CLOEXEC | SOCK_NONBLOCK);
            if (fd >= 0 && d.nconns < MAX_CONNS) {
                tcp_conn *c = &d.conns[d.nconns++];
                c->fd = fd;
                c->local = d.local_tcp;
                c->remote = from_sockaddr(&from);
                char a[64];
                logf_("TCP stream from %s accepted (RFC 8229)", addr_text(&c->remote, a, sizeof a));
            } else if (fd >= 0) {
                close(fd);
            }
        }
        /* TCP streams: indices shift when one closes, so walk back. */
        for (size_t i = d.nconns; i > 0 && pr > 0; i--) {
            nfds_t slot = first_conn + (nfds_t)(i - 1);
            if (slot >= n || !(pf[slot].revents & (POLLIN | POLLHUP | POLLERR))) {
                continue;
            }
            tcp_conn *c = &d.conns[i - 1];
            if (c->fd != pf[slot].fd) {
                continue;
            }
            uint8_t buf[16384];
            ssize_t got = read(c->fd, buf, sizeof buf);
            if (got <= 0) {
                if (got < 0 && errno == EAGAIN) {
                    continue;
                }
                conn_close(c);
                continue;
            }
            rike_result r = rike_engine_handle_stream(d.e, now, &c->local, &c->remote, buf, (size_t)got);
            if (r == RIKE_RESULT_MALFORMED) {
                logf_("RFC 8229 framing error: closing the stream");
                conn_close(c);
            }
            drain();
        }
        rike_engine_handle_timeout(d.e, now_ms());
        drain();
    }

    for (size_t i = d.ninstalled; i > 0; i--) {
        xfrm_remove(&d.xfrm, &d.installed[i - 1]);
    }
    for (size_t i = 0; i < d.nconns; i++) {
        close(d.conns[i].fd);
    }
    rike_engine_free(d.e);
    rike_key_free(d.signer);
    xfrm_close(&d.xfrm);
    close(d.udp500);
    close(d.udp4500);
    if (d.tcp_listen >= 0) {
        close(d.tcp_listen);
    }
    if (d.ike_table) {
        fclose(d.ike_table);
    }
    if (d.ikev1_table) {
        fclose(d.ikev1_table);
    }
    if (d.esp_table) {
        fclose(d.esp_table);
    }
    if (d.keylog) {
        fclose(d.keylog);
    }
    close(d.sigpipe[0]);
    close(d.sigpipe[1]);
    logf_("stopped");
    return 0;
}
