/* Child SAs into the Linux kernel through XFRM netlink (see xfrm.h).
 *
 * Written from the kernel's UAPI header <linux/xfrm.h> and netlink(7).
 *
 * SPDX-License-Identifier: MIT OR Apache-2.0 */

#define _DEFAULT_SOURCE

#include "xfrm.h"

#include <errno.h>
#include <linux/netlink.h>
#include <linux/udp.h>
#include <linux/xfrm.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define NLBUF 4096

typedef struct {
    struct nlmsghdr n;
    uint8_t body[NLBUF];
} nlreq;

int xfrm_open(xfrm_t *x) {
    x->seq = 1;
    x->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_XFRM);
    if (x->fd < 0) {
        return -errno;
    }
    struct sockaddr_nl sa;
    memset(&sa, 0, sizeof sa);
    sa.nl_family = AF_NETLINK;
    if (bind(x->fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
        int e = errno;
        close(x->fd);
        x->fd = -1;
        return -e;
    }
    return 0;
}

void xfrm_close(xfrm_t *x) {
    if (x->fd >= 0) {
        close(x->fd);
    }
    x->fd = -1;
}

int xfrm_is_unsupported(int e) {
    return e == -ENOSYS || e == -EPROTONOSUPPORT || e == -ENOENT || e == -EINVAL || e == -EOPNOTSUPP ||
           e == -EAFNOSUPPORT;
}

static void *tail(nlreq *r) {
    return (uint8_t *)&r->n + NLMSG_ALIGN(r->n.nlmsg_len);
}

/* Appends an attribute; -1 when it does not fit. */
static int attr(nlreq *r, uint16_t type, const void *data, size_t len) {
    size_t need = NLA_ALIGN(NLA_HDRLEN + len);
    if (NLMSG_ALIGN(r->n.nlmsg_len) + need > sizeof *r) {
        return -1;
    }
    struct nlattr *a = (struct nlattr *)tail(r);
    a->nla_type = type;
    a->nla_len = (uint16_t)(NLA_HDRLEN + len);
    memcpy((uint8_t *)a + NLA_HDRLEN, data, len);
    memset((uint8_t *)a + NLA_HDRLEN + len, 0, need - NLA_HDRLEN - len);
    r->n.nlmsg_len = (uint32_t)(NLMSG_ALIGN(r->n.nlmsg_len) + need);
    return 0;
}

static void start(nlreq *r, uint16_t type, uint16_t flags, const void *body, size_t len) {
    memset(r, 0, sizeof *r);
    r->n.nlmsg_len = (uint32_t)NLMSG_LENGTH(len);
    r->n.nlmsg_type = type;
    r->n.nlmsg_flags = (uint16_t)(NLM_F_REQUEST | NLM_F_ACK | flags);
    memcpy(NLMSG_DATA(&r->n), body, len);
}

/* Sends a request and reads its acknowledgement: 0 or -errno. */
static int talk(xfrm_t *x, nlreq *r) {
    r->n.nlmsg_seq = ++x->seq;
    struct sockaddr_nl to;
    memset(&to, 0, sizeof to);
    to.nl_family = AF_NETLINK;
    if (sendto(x->fd, &r->n, r->n.nlmsg_len, 0, (struct sockaddr *)&to, sizeof to) < 0) {
        return -errno;
    }
    uint8_t buf[NLBUF];
    for (;;) {
        ssize_t n = recv(x->fd, buf, sizeof buf, 0);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return -errno;
        }
        size_t left = (size_t)n;
        for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, left); h = NLMSG_NEXT(h, left)) {
            if (h->nlmsg_seq != x->seq) {
                continue;
            }
            if (h->nlmsg_type == NLMSG_ERROR) {
                if (h->nlmsg_len < NLMSG_LENGTH(sizeof(struct nlmsgerr))) {
                    return -EPROTO;
                }
                const struct nlmsgerr *e = (const struct nlmsgerr *)NLMSG_DATA(h);
                return e->error;
            }
        }
    }
}

static uint16_t af(const rike_addr *a) {
    return a->family == RIKE_AF_INET6 ? AF_INET6 : AF_INET;
}

static void xaddr(xfrm_address_t *x, const rike_addr *a) {
    memset(x, 0, sizeof *x);
    memcpy(x, a->ip, a->family == RIKE_AF_INET6 ? 16 : 4);
}

/* The prefix covering [start, end] (exact when it is an aligned block). */
static uint8_t prefix_of(const rike_ts *t) {
    int bits = t->family == RIKE_AF_INET6 ? 128 : 32;
    int p = 0;
    while (p < bits) {
        int byte = p / 8, bit = 7 - p % 8;
        if (((t->start[byte] >> bit) & 1) != ((t->end[byte] >> bit) & 1)) {
            break;
        }
        p++;
    }
    return (uint8_t)p;
}

static void selector(struct xfrm_selector *s, const rike_ts *src, const rike_ts *dst) {
    memset(s, 0, sizeof *s);
    s->family = src->family == RIKE_AF_INET6 ? AF_INET6 : AF_INET;
    memcpy(&s->saddr, src->start, src->family == RIKE_AF_INET6 ? 16 : 4);
    memcpy(&s->daddr, dst->start, dst->family == RIKE_AF_INET6 ? 16 : 4);
    s->prefixlen_s = prefix_of(src);
    s->prefixlen_d = prefix_of(dst);
    s->proto = src->protocol ? src->protocol : dst->protocol;
    /* One port, or any (xfrm selectors have no ranges). */
    if (src->start_port == src->end_port) {
        s->sport = htons(src->start_port);
        s->sport_mask = 0xffff;
    }
    if (dst->start_port == dst->end_port) {
        s->dport = htons(dst->start_port);
        s->dport_mask = 0xffff;
    }
}

typedef struct {
    const char *name;
    int aead;
    unsigned icv_bits;
} alg_name;

static int encr_name(uint16_t id, alg_name *out) {
    switch (id) {
    case 3: *out = (alg_name){"cbc(des3_ede)", 0, 0}; return 0;
    case 12: *out = (alg_name){"cbc(aes)", 0, 0}; return 0;
    case 13: *out = (alg_name){"rfc3686(ctr(aes))", 0, 0}; return 0;
    case 18: *out = (alg_name){"rfc4106(gcm(aes))", 1, 64}; return 0;
    case 19: *out = (alg_name){"rfc4106(gcm(aes))", 1, 96}; return 0;
    case 20: *out = (alg_name){"rfc4106(gcm(aes))", 1, 128}; return 0;
    case 14: *out = (alg_name){"rfc4309(ccm(aes))", 1, 64}; return 0;
    case 15: *out = (alg_name){"rfc4309(ccm(aes))", 1, 96}; return 0;
    case 16: *out = (alg_name){"rfc4309(ccm(aes))", 1, 128}; return 0;
    case 28: *out = (alg_name){"rfc7539esp(chacha20,poly1305)", 1, 128}; return 0;
    case 11: *out = (alg_name){"ecb(cipher_null)", 0, 0}; return 0;
    default: return -1;
    }
}

static int integ_name(uint16_t id, const char **name, unsigned *trunc_bits) {
    switch (id) {
    case 1: *name = "hmac(md5)"; *trunc_bits = 96; return 0;
    case 2: *name = "hmac(sha1)"; *trunc_bits = 96; return 0;
    case 5: *name = "xcbc(aes)"; *trunc_bits = 96; return 0;
    case 12: *name = "hmac(sha256)"; *trunc_bits = 128; return 0;
    case 13: *name = "hmac(sha384)"; *trunc_bits = 192; return 0;
    case 14: *name = "hmac(sha512)"; *trunc_bits = 256; return 0;
    default: return -1;
    }
}

/* One ESP state: from src to dst with `spi` and these keys. */
static int add_state(xfrm_t *x, const rike_child_sa *c, int inbound, uint32_t reqid, char *err, size_t errlen) {
    const rike_addr *src = inbound ? &c->remote : &c->local;
    const rike_addr *dst = inbound ? &c->local : &c->remote;
    const rike_bytes *ek = inbound ? &c->encr_key_in : &c->encr_key_out;
    const rike_bytes *ak = inbound ? &c->integ_key_in : &c->integ_key_out;
    struct xfrm_usersa_info sa;
    memset(&sa, 0, sizeof sa);
    xaddr(&sa.id.daddr, dst);
    xaddr(&sa.saddr, src);
    sa.id.spi = htonl(inbound ? c->spi_in : c->spi_out);
    sa.id.proto = IPPROTO_ESP;
    sa.family = af(dst);
    sa.sel.family = af(dst);
    sa.mode = c->mode == RIKE_IPSEC_MODE_TRANSPORT ? XFRM_MODE_TRANSPORT : XFRM_MODE_TUNNEL;
    sa.reqid = reqid;
    sa.replay_window = c->esn ? 0 : 32;
    sa.lft.soft_byte_limit = XFRM_INF;
    sa.lft.hard_byte_limit = XFRM_INF;
    sa.lft.soft_packet_limit = XFRM_INF;
    sa.lft.hard_packet_limit = XFRM_INF;
    if (c->esn) {
        sa.flags |= XFRM_STATE_ESN;
    }
    nlreq *r = (nlreq *)calloc(1, sizeof *r);
    if (!r) {
        return -ENOMEM;
    }
    start(r, XFRM_MSG_NEWSA, NLM_F_CREATE | NLM_F_EXCL, &sa, sizeof sa);
    alg_name e;
    if (encr_name(c->encr_id, &e) < 0) {
        snprintf(err, errlen, "no kernel name for ESP encryption %u", c->encr_id);
        free(r);
        return -EOPNOTSUPP;
    }
    uint8_t algbuf[sizeof(struct xfrm_algo_auth) + 128];
    if (ek->len > 96 || ak->len > 96) {
        free(r);
        return -EINVAL;
    }
    int bad = 0;
    if (e.aead) {
        struct xfrm_algo_aead *a = (struct xfrm_algo_aead *)algbuf;
        memset(algbuf, 0, sizeof algbuf);
        snprintf(a->alg_name, sizeof a->alg_name, "%s", e.name);
        a->alg_key_len = (unsigned)(ek->len * 8);
        a->alg_icv_len = e.icv_bits;
        memcpy(a->alg_key, ek->ptr, ek->len);
        bad |= attr(r, XFRMA_ALG_AEAD, a, sizeof *a + ek->len);
    } else {
        struct xfrm_algo *a = (struct xfrm_algo *)algbuf;
        memset(algbuf, 0, sizeof algbuf);
        snprintf(a->alg_name, sizeof a->alg_name, "%s", e.name);
        a->alg_key_len = (unsigned)(ek->len * 8);
        if (ek->len) {
            memcpy(a->alg_key, ek->ptr, ek->len);
        }
        bad |= attr(r, XFRMA_ALG_CRYPT, a, sizeof *a + ek->len);
        const char *iname;
        unsigned trunc;
        if (integ_name(c->integ_id, &iname, &trunc) < 0) {
            snprintf(err, errlen, "no kernel name for ESP integrity %u", c->integ_id);
            free(r);
            return -EOPNOTSUPP;
        }
        struct xfrm_algo_auth *i = (struct xfrm_algo_auth *)algbuf;
        memset(algbuf, 0, sizeof algbuf);
        snprintf(i->alg_name, sizeof i->alg_name, "%s", iname);
        i->alg_key_len = (unsigned)(ak->len * 8);
        i->alg_trunc_len = trunc;
        memcpy(i->alg_key, ak->ptr, ak->len);
        bad |= attr(r, XFRMA_ALG_AUTH_TRUNC, i, sizeof *i + ak->len);
    }
    if (c->encap) {
        struct xfrm_encap_tmpl t;
        memset(&t, 0, sizeof t);
        t.encap_type = UDP_ENCAP_ESPINUDP;
        t.encap_sport = htons(src->port);
        t.encap_dport = htons(dst->port);
        bad |= attr(r, XFRMA_ENCAP, &t, sizeof t);
    }
    if (c->esn) {
        uint8_t rbuf[sizeof(struct xfrm_replay_state_esn) + 4 * sizeof(uint32_t)];
        memset(rbuf, 0, sizeof rbuf);
        struct xfrm_replay_state_esn *rs = (struct xfrm_replay_state_esn *)rbuf;
        rs->bmp_len = 4;
        rs->replay_window = 128;
        bad |= attr(r, XFRMA_REPLAY_ESN_VAL, rs, sizeof rbuf);
    }
    memset(algbuf, 0, sizeof algbuf);
    if (bad) {
        free(r);
        return -EMSGSIZE;
    }
    int rc = talk(x, r);
    memset(r, 0, sizeof *r); /* keys */
    free(r);
    if (rc < 0) {
        snprintf(err, errlen, "XFRM state %s SPI 0x%08x: %s", inbound ? "in" : "out",
                 inbound ? c->spi_in : c->spi_out, strerror(-rc));
    }
    return rc;
}

static int del_state(xfrm_t *x, const rike_addr *dst, uint32_t spi) {
    struct xfrm_usersa_id id;
    memset(&id, 0, sizeof id);
    xaddr(&id.daddr, dst);
    id.spi = htonl(spi);
    id.family = af(dst);
    id.proto = IPPROTO_ESP;
    nlreq r;
    start(&r, XFRM_MSG_DELSA, 0, &id, sizeof id);
    return talk(x, &r);
}

/* A policy for traffic src_ts -> dst_ts in direction `dir`, protected by
 * the state from `outer_src` to `outer_dst`. */
static int policy(xfrm_t *x, int add, uint8_t dir, const rike_ts *src_ts, const rike_ts *dst_ts,
                  const xfrm_child *ic, const rike_addr *outer_src, const rike_addr *outer_dst) {
    nlreq *r = (nlreq *)calloc(1, sizeof *r);
    if (!r) {
        return -ENOMEM;
    }
    if (add) {
        struct xfrm_userpolicy_info p;
        memset(&p, 0, sizeof p);
        selector(&p.sel, src_ts, dst_ts);
        p.dir = dir;
        p.action = XFRM_POLICY_ALLOW;
        p.priority = 1000;
        p.lft.soft_byte_limit = XFRM_INF;
        p.lft.hard_byte_limit = XFRM_INF;
        p.lft.soft_packet_limit = XFRM_INF;
        p.lft.hard_packet_limit = XFRM_INF;
        start(r, XFRM_MSG_NEWPOLICY, NLM_F_CREATE | NLM_F_EXCL, &p, sizeof p);
        struct xfrm_user_tmpl t;
        memset(&t, 0, sizeof t);
        xaddr(&t.id.daddr, outer_dst);
        xaddr(&t.saddr, outer_src);
        t.id.proto = IPPROTO_ESP;
        t.family = af(outer_dst);
        t.reqid = ic->reqid;
        t.mode = ic->mode == RIKE_IPSEC_MODE_TRANSPORT ? XFRM_MODE_TRANSPORT : XFRM_MODE_TUNNEL;
        t.aalgos = t.ealgos = t.calgos = ~0u;
        if (attr(r, XFRMA_TMPL, &t, sizeof t) < 0) {
            free(r);
            return -EMSGSIZE;
        }
    } else {
        struct xfrm_userpolicy_id id;
        memset(&id, 0, sizeof id);
        selector(&id.sel, src_ts, dst_ts);
        id.dir = dir;
        start(r, XFRM_MSG_DELPOLICY, 0, &id, sizeof id);
    }
    int rc = talk(x, r);
    free(r);
    return rc;
}

/* All policies of the Child SA (out, in, fwd for each selector pair). */
static int policies(xfrm_t *x, int add, const xfrm_child *ic) {
    int first = 0;
    for (size_t i = 0; i < ic->nlocal; i++) {
        for (size_t j = 0; j < ic->nremote; j++) {
            const rike_ts *l = &ic->local_ts[i], *rm = &ic->remote_ts[j];
            if (l->family != rm->family) {
                continue;
            }
            int r1 = policy(x, add, XFRM_POLICY_OUT, l, rm, ic, &ic->local, &ic->remote);
            int r2 = policy(x, add, XFRM_POLICY_IN, rm, l, ic, &ic->remote, &ic->local);
            int r3 = ic->mode == RIKE_IPSEC_MODE_TUNNEL
                         ? policy(x, add, XFRM_POLICY_FWD, rm, l, ic, &ic->remote, &ic->local)
                         : 0;
            if (!first) {
                first = r1 ? r1 : r2 ? r2 : r3;
            }
        }
    }
    return first;
}

int xfrm_install(xfrm_t *x, uint64_t child, const rike_child_sa *c, uint32_t reqid, xfrm_child *out,
                 char *err, size_t errlen) {
    memset(out, 0, sizeof *out);
    out->child = child;
    out->reqid = reqid;
    out->spi_in = c->spi_in;
    out->spi_out = c->spi_out;
    out->mode = c->mode;
    out->local = c->local;
    out->remote = c->remote;
    for (size_t i = 0; i < c->local_ts_len && i < XFRM_MAX_TS; i++) {
        out->local_ts[out->nlocal++] = c->local_ts[i];
    }
    for (size_t i = 0; i < c->remote_ts_len && i < XFRM_MAX_TS; i++) {
        out->remote_ts[out->nremote++] = c->remote_ts[i];
    }
    if (x->fd < 0) {
        snprintf(err, errlen, "no XFRM netlink socket");
        return -EBADF;
    }
    int rc = add_state(x, c, 1, reqid, err, errlen);
    if (rc < 0) {
        return rc;
    }
    out->sa_in = 1;
    rc = add_state(x, c, 0, reqid, err, errlen);
    if (rc < 0) {
        xfrm_remove(x, out);
        return rc;
    }
    out->sa_out = 1;
    rc = policies(x, 1, out);
    out->policies = 1;
    if (rc < 0) {
        snprintf(err, errlen, "XFRM policy: %s", strerror(-rc));
        xfrm_remove(x, out);
        return rc;
    }
    return 0;
}

int xfrm_remove(xfrm_t *x, xfrm_child *ic) {
    int first = 0;
    if (x->fd < 0) {
        return -EBADF;
    }
    if (ic->policies) {
        first = policies(x, 0, ic);
        ic->policies = 0;
    }
    if (ic->sa_out) {
        int r = del_state(x, &ic->remote, ic->spi_out);
        first = first ? first : r;
        ic->sa_out = 0;
    }
    if (ic->sa_in) {
        int r = del_state(x, &ic->local, ic->spi_in);
        first = first ? first : r;
        ic->sa_in = 0;
    }
    return first;
}
