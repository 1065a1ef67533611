/* Tests of rike's engine C API: two engines in one process joined by an
 * in-memory network on a virtual clock, through a full life cycle
 * (IKE_SA_INIT, IKE_AUTH, a second Child SA, Child and IKE rekeys, a
 * liveness check, deletes), certificates with an external key, PSKs
 * asked of the application, half-open admission, retransmission; IKEv1
 * (Main Mode with the commit bit and Aggressive Mode, PSK, Quick Mode,
 * ISAKMP SA keys as ikev1_decryption_table and key log lines, delete;
 * XAUTH and Mode-Config asked of the application);
 * key export; and misuse (IKEv1 options included): NULL pointers, bad addresses, stale handles, wrong
 * request ids, buffers too small (the size needed is reported), bad
 * proposals and selectors, re-entrant calls from the log callback.
 *
 * Built and run by tests/c/run.sh plain, under AddressSanitizer + UBSan
 * and under valgrind: every case must give the expected result code and
 * leave nothing allocated.
 *
 * SPDX-License-Identifier: MIT OR Apache-2.0 */

#include "engine_common.h"

static const char *PSK = "correct horse battery staple";

/* ---- configurations ------------------------------------------------------- */

static const rike_config *initiator_config(void) {
    rike_peer_builder *p = NULL;
    rike_addr b = addr4(192, 0, 2, 2, 0); /* port 0 = 500 */
    REQUIRE(rike_peer_builder_new("to-b", &p) == RIKE_RESULT_OK);
    OK(rike_peer_builder_set_remote(p, &b));
    OK(rike_peer_builder_set_local_id(p, "a.example"));
    OK(rike_peer_builder_set_remote_id(p, "b.example"));
    OK(rike_peer_builder_set_psk(p, (const uint8_t *)PSK, strlen(PSK)));
    OK(rike_peer_builder_add_ike_proposals(p, "aes256gcm16-prfsha256-x25519,aes128-sha256-modp2048"));
    OK(rike_peer_builder_add_child(p, child_cfg("net", "10.1.0.0/16", "10.2.0.0/16", "aes256gcm16")));
    OK(rike_peer_builder_add_child(
        p, child_cfg("web", "10.1.0.0/16[tcp/443]", "10.2.0.0/16[tcp]", "aes128-sha256-modp2048")));
    return one_peer_config(p);
}

/* The responder's proposals are given as IANA numbers. */
static const rike_config *responder_config(void) {
    rike_peer_builder *p = NULL;
    REQUIRE(rike_peer_builder_new("from-a", &p) == RIKE_RESULT_OK);
    OK(rike_peer_builder_set_local_id(p, "b.example"));
    OK(rike_peer_builder_set_remote_id(p, "a.example"));
    OK(rike_peer_builder_set_psk(p, (const uint8_t *)PSK, strlen(PSK)));
    rike_transform ike[3];
    memset(ike, 0, sizeof ike);
    ike[0].transform_type = 1; /* ENCR_AES_GCM_16, 256 bits */
    ike[0].id = 20;
    ike[0].key_bits = 256;
    ike[1].transform_type = 2; /* PRF_HMAC_SHA2_256 */
    ike[1].id = 5;
    ike[2].transform_type = 4; /* Curve25519 */
    ike[2].id = 31;
    OK(rike_peer_builder_add_ike_proposal(p, ike, 3));
    rike_child_builder *net = child_cfg("net", "10.2.0.0/16", "10.1.0.0/16", NULL);
    rike_transform esp[1];
    memset(esp, 0, sizeof esp);
    esp[0].transform_type = 1;
    esp[0].id = 20;
    esp[0].key_bits = 256;
    OK(rike_child_builder_add_esp_proposal(net, esp, 1));
    OK(rike_child_builder_set_lifetimes(net, 3600000, 3900000));
    OK(rike_peer_builder_add_child(p, net));
    OK(rike_peer_builder_add_child(
        p, child_cfg("web", "10.2.0.0/16[tcp]", "10.1.0.0/16[tcp/443]", "aes128-sha256-modp2048")));
    return one_peer_config(p);
}

static void net_init(net_t *n, const rike_config *ca, const rike_config *cb) {
    memset(n, 0, sizeof *n);
    n->a.name = "A";
    n->b.name = "B";
    n->a.ip500 = addr4(192, 0, 2, 1, 500);
    n->b.ip500 = addr4(192, 0, 2, 2, 500);
    uint8_t seed[32];
    memset(seed, 7, sizeof seed);
    /* A reproducible initiator, a responder with OS randomness. */
    REQUIRE(rike_engine_new_seeded(ca, seed, sizeof seed, &n->a.e) == RIKE_RESULT_OK);
    REQUIRE(rike_engine_new(cb, &n->b.e) == RIKE_RESULT_OK);
    n->a.export_keys = 1;
    n->b.export_keys = 1;
}

/* The two ends of a Child SA agree. */
static void check_child_pair(const ev_rec *a, const ev_rec *b) {
    CHECK(a->spi_in == b->spi_out);
    CHECK(a->spi_out == b->spi_in);
    CHECK(a->encr_id == b->encr_id);
    CHECK(a->ekey_len > 0 && a->ekey_len == b->ekey_len);
    CHECK(memcmp(a->ekey_in, b->ekey_out, a->ekey_len) == 0);
    CHECK(memcmp(a->ekey_out, b->ekey_in, a->ekey_len) == 0);
    CHECK(memcmp(a->ekey_in, a->ekey_out, a->ekey_len) != 0);
    CHECK(a->akey_len == b->akey_len);
    if (a->akey_len) {
        CHECK(memcmp(a->akey_in, b->akey_out, a->akey_len) == 0);
    }
    CHECK(a->local_ts_len == 1 && b->remote_ts_len == 1);
    CHECK(memcmp(&a->local_ts0, &b->remote_ts0, sizeof a->local_ts0) == 0);
    CHECK(memcmp(&a->remote_ts0, &b->local_ts0, sizeof a->remote_ts0) == 0);
}

static uint64_t child_of(const side_t *s, const char *name, uint32_t kind) {
    for (size_t i = s->nev; i > 0; i--) {
        const ev_rec *r = &s->ev[i - 1];
        if (r->kind == kind && strcmp(r->text, name) == 0) {
            return r->child_sa;
        }
    }
    return 0;
}

static uint64_t only_sa(rike_engine *e) {
    uint64_t h[4];
    size_t n = 0;
    OK(rike_engine_sas(e, h, 4, &n));
    CHECK(n == 1);
    return n ? h[0] : 0;
}

/* ---- the full cycle ------------------------------------------------------- */

static void full_cycle(void) {
    const rike_config *ca = initiator_config();
    const rike_config *cb = responder_config();
    net_t *n = (net_t *)xmalloc(sizeof *n);
    net_init(n, ca, cb);
    /* The engines keep their own reference: the configs may go now. */
    rike_config_free(ca);
    rike_config_free(cb);

    uint64_t sa = 0;
    OK(rike_engine_initiate(n->a.e, n->now, "to-b", &n->a.ip500, &sa));
    CHECK(sa != 0);
    run_for(n, 5000);
    CHECK(count(&n->a, RIKE_EVENT_TYPE_IKE_SA_UP) == 1);
    CHECK(count(&n->b, RIKE_EVENT_TYPE_IKE_SA_UP) == 1);
    CHECK(count(&n->a, RIKE_EVENT_TYPE_CHILD_SA_UP) == 1);
    CHECK(count(&n->b, RIKE_EVENT_TYPE_CHILD_SA_UP) == 1);
    CHECK(n->a.sent + n->b.sent == 4);
    const ev_rec *up_a = last(&n->a, RIKE_EVENT_TYPE_IKE_SA_UP);
    const ev_rec *up_b = last(&n->b, RIKE_EVENT_TYPE_IKE_SA_UP);
    REQUIRE(up_a && up_b);
    CHECK(up_a->ike_sa == sa);
    CHECK(strcmp(up_a->text, "to-b b.example") == 0);
    CHECK(strcmp(up_b->text, "from-a a.example") == 0);
    CHECK(memcmp(up_a->spi_i, up_b->spi_i, 8) == 0 && memcmp(up_a->spi_r, up_b->spi_r, 8) == 0);
    CHECK(rike_engine_is_established(n->a.e, sa));
    uint64_t sb = only_sa(n->b.e);
    CHECK(rike_engine_is_established(n->b.e, sb));
    const ev_rec *ca_ = last(&n->a, RIKE_EVENT_TYPE_CHILD_SA_UP);
    const ev_rec *cb_ = last(&n->b, RIKE_EVENT_TYPE_CHILD_SA_UP);
    REQUIRE(ca_ && cb_);
    check_child_pair(ca_, cb_);
    CHECK(ca_->encr_id == 20 && ca_->integ_id == 0 && ca_->ekey_len == 36);
    CHECK(ca_->local_ts0.family == RIKE_AF_INET && ca_->local_ts0.start[1] == 1);
    CHECK(ca_->local_ts0.start_port == 0 && ca_->local_ts0.end_port == 65535);

    /* Key export: the same IKE SA line on both sides, ESP lines with the
     * SPIs, inbound first. */
    const ev_rec *ka = last(&n->a, RIKE_EVENT_TYPE_IKE_KEYS);
    const ev_rec *kb = last(&n->b, RIKE_EVENT_TYPE_IKE_KEYS);
    REQUIRE(ka && kb);
    CHECK(strcmp(ka->keys, kb->keys) == 0);
    char spi_hex[17];
    for (int i = 0; i < 8; i++) {
        snprintf(spi_hex + 2 * i, 3, "%02x", ka->spi_i[i]);
    }
    CHECK(strncmp(ka->keys, spi_hex, 16) == 0);
    CHECK(strstr(ka->keys, "\"AES-GCM-256 with 16 octet ICV [RFC5282]\"") != NULL);
    CHECK(strchr(ka->keys, '\n') == ka->keys + strlen(ka->keys) - 1);
    char spi_in[16];
    snprintf(spi_in, sizeof spi_in, "\"0x%08x\"", ca_->spi_in);
    CHECK(strstr(ca_->keys, "\"IPv4\",\"192.0.2.2\",\"192.0.2.1\"") == ca_->keys);
    CHECK(strstr(ca_->keys, spi_in) != NULL);
    CHECK(strstr(ca_->keys, "AES-GCM with 16 octet ICV [RFC4106]") != NULL);

    /* A second Child SA, with PFS and another proposal. */
    OK(rike_engine_create_child(n->a.e, n->now, sa, "web"));
    run_for(n, 5000);
    CHECK(count(&n->a, RIKE_EVENT_TYPE_CHILD_SA_UP) == 2);
    CHECK(count(&n->b, RIKE_EVENT_TYPE_CHILD_SA_UP) == 2);
    const ev_rec *wa = last(&n->a, RIKE_EVENT_TYPE_CHILD_SA_UP);
    const ev_rec *wb = last(&n->b, RIKE_EVENT_TYPE_CHILD_SA_UP);
    check_child_pair(wa, wb);
    CHECK(strcmp(wa->text, "web") == 0 && wa->encr_id == 12 && wa->integ_id == 12);
    CHECK(wa->local_ts0.protocol == 6 && wa->local_ts0.start_port == 443);
    uint64_t web = wa->child_sa;

    /* Rekey the first Child SA: new one up, old one down as "rekeyed". */
    uint64_t net_a = child_of(&n->a, "net", RIKE_EVENT_TYPE_CHILD_SA_UP);
    OK(rike_engine_rekey_child(n->a.e, n->now, sa, net_a));
    run_for(n, 5000);
    CHECK(count(&n->a, RIKE_EVENT_TYPE_CHILD_SA_REKEYED) == 1);
    CHECK(count(&n->b, RIKE_EVENT_TYPE_CHILD_SA_REKEYED) == 1);
    const ev_rec *ra = last(&n->a, RIKE_EVENT_TYPE_CHILD_SA_REKEYED);
    const ev_rec *rb = last(&n->b, RIKE_EVENT_TYPE_CHILD_SA_REKEYED);
    check_child_pair(ra, rb);
    CHECK(ra->old == net_a);
    CHECK(ra->keys[0] != '\0');
    const ev_rec *da = last(&n->a, RIKE_EVENT_TYPE_CHILD_SA_DOWN);
    REQUIRE(da);
    CHECK(da->child_sa == net_a && da->reason == RIKE_DOWN_REASON_REKEYED);
    /* The old Child SA is stale now. */
    CHECK_RESULT(rike_engine_rekey_child(n->a.e, n->now, sa, net_a), RIKE_RESULT_UNKNOWN_CHILD);
    CHECK_RESULT(rike_engine_delete_child(n->a.e, n->now, sa, 999999), RIKE_RESULT_UNKNOWN_CHILD);

    /* The responder rekeys the IKE SA: new handles, Child SAs move. */
    OK(rike_engine_rekey_ike(n->b.e, n->now, sb));
    run_for(n, 5000);
    const ev_rec *ia = last(&n->a, RIKE_EVENT_TYPE_IKE_SA_REKEYED);
    const ev_rec *ib = last(&n->b, RIKE_EVENT_TYPE_IKE_SA_REKEYED);
    REQUIRE(ia && ib);
    CHECK(ia->old == sa && ib->old == sb);
    uint64_t sa2 = ia->ike_sa, sb2 = ib->ike_sa;
    CHECK(sa2 != sa && sb2 != sb);
    const ev_rec *oa = last(&n->a, RIKE_EVENT_TYPE_IKE_SA_DOWN);
    REQUIRE(oa);
    CHECK(oa->ike_sa == sa && oa->reason == RIKE_DOWN_REASON_REKEYED);
    CHECK(count(&n->a, RIKE_EVENT_TYPE_IKE_KEYS) == 2);
    /* Stale IKE SA handle: refused, whatever the call. */
    CHECK_RESULT(rike_engine_rekey_ike(n->a.e, n->now, sa), RIKE_RESULT_UNKNOWN_SA);
    CHECK_RESULT(rike_engine_delete_ike(n->a.e, n->now, sa), RIKE_RESULT_UNKNOWN_SA);
    CHECK_RESULT(rike_engine_create_child(n->a.e, n->now, sa, "web"), RIKE_RESULT_UNKNOWN_SA);
    CHECK_RESULT(rike_engine_check_liveness(n->a.e, n->now, 0), RIKE_RESULT_UNKNOWN_SA);
    CHECK(!rike_engine_is_established(n->a.e, sa));
    CHECK(rike_engine_is_established(n->a.e, sa2));

    /* Liveness check on the new SA: answered, nothing goes down. */
    size_t downs = count(&n->a, RIKE_EVENT_TYPE_IKE_SA_DOWN);
    OK(rike_engine_check_liveness(n->a.e, n->now, sa2));
    run_for(n, 5000);
    CHECK(count(&n->a, RIKE_EVENT_TYPE_IKE_SA_DOWN) == downs);

    /* Delete the web Child SA from B's side (after the IKE rekey). */
    uint64_t web_b = child_of(&n->b, "web", RIKE_EVENT_TYPE_CHILD_SA_UP);
    OK(rike_engine_delete_child(n->b.e, n->now, sb2, web_b));
    run_for(n, 5000);
    const ev_rec *wd = last(&n->a, RIKE_EVENT_TYPE_CHILD_SA_DOWN);
    REQUIRE(wd);
    CHECK(wd->child_sa == web && wd->reason == RIKE_DOWN_REASON_DELETED_BY_PEER);
    CHECK(last(&n->b, RIKE_EVENT_TYPE_CHILD_SA_DOWN)->reason == RIKE_DOWN_REASON_DELETED);

    /* Delete the IKE SA: the last Child SA, then the IKE SA go down. */
    OK(rike_engine_delete_ike(n->a.e, n->now, sa2));
    run_for(n, 5000);
    const ev_rec *end_a = last(&n->a, RIKE_EVENT_TYPE_IKE_SA_DOWN);
    const ev_rec *end_b = last(&n->b, RIKE_EVENT_TYPE_IKE_SA_DOWN);
    REQUIRE(end_a && end_b);
    CHECK(end_a->ike_sa == sa2 && end_a->reason == RIKE_DOWN_REASON_DELETED);
    CHECK(end_b->ike_sa == sb2 && end_b->reason == RIKE_DOWN_REASON_DELETED_BY_PEER);
    CHECK(strcmp(end_b->text, "deleted by the peer") == 0);
    CHECK(n->a.ev[n->a.nev - 1].kind == RIKE_EVENT_TYPE_IKE_SA_DOWN);
    CHECK(count(&n->a, RIKE_EVENT_TYPE_CHILD_SA_DOWN) == 3);
    CHECK(count(&n->b, RIKE_EVENT_TYPE_CHILD_SA_DOWN) == 3);
    run_for(n, 60000);
    size_t nsas = 99;
    OK(rike_engine_sas(n->a.e, NULL, 0, &nsas));
    CHECK(nsas == 0);
    OK(rike_engine_sas(n->b.e, NULL, 0, &nsas));
    CHECK(nsas == 0);
    uint64_t deadline = 0;
    CHECK_RESULT(rike_engine_poll_timeout(n->a.e, &deadline), RIKE_RESULT_DONE);
    rike_stats st;
    memset(&st, 0, sizeof st);
    st.struct_size = sizeof st;
    OK(rike_engine_stats(n->b.e, &st));
    CHECK(st.received > 8 && st.dropped == 0 && st.ike_sas == 0 && st.half_open == 0);
    net_free(n);
    free(n);
}

/* ---- IKEv1 (RFC 2409): Main or Aggressive Mode with a PSK, Quick Mode ------ */

static void hex_of(const uint8_t *b, size_t n, char *out) {
    for (size_t i = 0; i < n; i++) {
        snprintf(out + 2 * i, 3, "%02x", b[i]);
    }
}

static const rike_config *ikev1_config(int initiator, int aggressive) {
    rike_peer_builder *p = NULL;
    REQUIRE(rike_peer_builder_new(initiator ? "v1-to-b" : "v1-from-a", &p) == RIKE_RESULT_OK);
    if (initiator) {
        rike_addr b = addr4(192, 0, 2, 2, 0);
        OK(rike_peer_builder_set_remote(p, &b));
    }
    OK(rike_peer_builder_set_local_id(p, initiator ? "a.example" : "b.example"));
    OK(rike_peer_builder_set_remote_id(p, initiator ? "b.example" : "a.example"));
    OK(rike_peer_builder_set_psk(p, (const uint8_t *)PSK, strlen(PSK)));
    OK(rike_peer_builder_add_ike_proposals(p, "aes256-sha256-modp2048,aes128-sha1-modp2048"));
    rike_ikev1_options o;
    memset(&o, 0xa5, sizeof o);
    OK(rike_ikev1_options_default(&o));
    CHECK(o.struct_size == sizeof o && o.aggressive == 0 && o.commit == 0 && o.nat_traversal == 1);
    CHECK(o.dpd_action == RIKE_DPD_ACTION_CLEAR && o.ike_lifetime_s == 28800 && o.child_lifetime_kb == 0);
    o.aggressive = aggressive ? 1 : 0;
    o.commit = initiator && !aggressive ? 1 : 0; /* Main Mode run: CONNECTED confirms */
    o.ike_lifetime_s = initiator ? 3600 : 7200;
    o.child_lifetime_kb = 1000000;
    OK(rike_peer_builder_set_ikev1(p, &o));
    const char *lts = initiator ? "10.1.0.0/16" : "10.2.0.0/16";
    const char *rts = initiator ? "10.2.0.0/16" : "10.1.0.0/16";
    OK(rike_peer_builder_add_child(p, child_cfg("net", lts, rts, "aes256-sha256-modp2048")));
    return one_peer_config(p);
}

static void ikev1_cycle(int aggressive) {
    const rike_config *ca = ikev1_config(1, aggressive);
    const rike_config *cb = ikev1_config(0, aggressive);
    net_t *n = (net_t *)xmalloc(sizeof *n);
    net_init(n, ca, cb);
    rike_config_free(ca);
    rike_config_free(cb);

    uint64_t sa = 0;
    OK(rike_engine_initiate(n->a.e, n->now, "v1-to-b", &n->a.ip500, &sa));
    CHECK(sa != 0);
    run_for(n, 5000);
    /* Main Mode: 3 + 3 messages, Quick Mode 2 + 1 and, with the commit
     * bit, B's CONNECTED notify. Aggressive Mode: 2 + 1, Quick Mode 2 + 1. */
    if (aggressive) {
        CHECK(n->a.sent == 4 && n->b.sent == 2);
    } else {
        CHECK(n->a.sent == 5 && n->b.sent == 5);
    }
    /* Phase 1 and Quick Mode: up on both sides. */
    CHECK(count(&n->a, RIKE_EVENT_TYPE_IKE_SA_UP) == 1);
    CHECK(count(&n->b, RIKE_EVENT_TYPE_IKE_SA_UP) == 1);
    CHECK(count(&n->a, RIKE_EVENT_TYPE_CHILD_SA_UP) == 1);
    CHECK(count(&n->b, RIKE_EVENT_TYPE_CHILD_SA_UP) == 1);
    CHECK(count(&n->a, RIKE_EVENT_TYPE_OTHER) == 0 && count(&n->b, RIKE_EVENT_TYPE_OTHER) == 0);
    CHECK(rike_engine_is_established(n->a.e, sa));
    uint64_t sb = only_sa(n->b.e);
    CHECK(rike_engine_is_established(n->b.e, sb));
    const ev_rec *up_a = last(&n->a, RIKE_EVENT_TYPE_IKE_SA_UP);
    const ev_rec *up_b = last(&n->b, RIKE_EVENT_TYPE_IKE_SA_UP);
    REQUIRE(up_a && up_b);
    CHECK(up_a->ike_sa == sa && up_b->ike_sa == sb);
    CHECK(strcmp(up_a->text, "v1-to-b b.example") == 0);
    CHECK(strcmp(up_b->text, "v1-from-a a.example") == 0);
    CHECK(memcmp(up_a->spi_i, up_b->spi_i, 8) == 0 && memcmp(up_a->spi_r, up_b->spi_r, 8) == 0);

    /* The ISAKMP SA's keys: one event a side, the same cookies and keys,
     * AES-CBC-256 (attribute 7) with SHA2-256 (4). */
    CHECK(count(&n->a, RIKE_EVENT_TYPE_IKEV1_KEYS) == 1);
    CHECK(count(&n->b, RIKE_EVENT_TYPE_IKEV1_KEYS) == 1);
    CHECK(count(&n->a, RIKE_EVENT_TYPE_IKE_KEYS) == 0);
    const ev_rec *ka = last(&n->a, RIKE_EVENT_TYPE_IKEV1_KEYS);
    const ev_rec *kb = last(&n->b, RIKE_EVENT_TYPE_IKEV1_KEYS);
    REQUIRE(ka && kb);
    CHECK(ka->ike_sa == sa && kb->ike_sa == sb);
    CHECK(memcmp(ka->spi_i, up_a->spi_i, 8) == 0 && memcmp(ka->spi_r, up_a->spi_r, 8) == 0);
    CHECK(memcmp(kb->spi_i, ka->spi_i, 8) == 0 && memcmp(kb->spi_r, ka->spi_r, 8) == 0);
    CHECK(ka->encr_id == 7 && ka->integ_id == 4);
    CHECK(ka->ekey_len == 32 && kb->ekey_len == 32 && memcmp(ka->ekey_in, kb->ekey_in, 32) == 0);
    CHECK(ka->akey_len == 32 && kb->akey_len == 32 && memcmp(ka->akey_in, kb->akey_in, 32) == 0);
    /* ikev1_decryption_table: "cky_i,key\n". */
    char cky_i[17], cky_r[17], key[65], skeyid_a[65], want[512];
    hex_of(ka->spi_i, 8, cky_i);
    hex_of(ka->spi_r, 8, cky_r);
    hex_of(ka->ekey_in, 32, key);
    hex_of(ka->akey_in, 32, skeyid_a);
    snprintf(want, sizeof want, "%s,%s\n", cky_i, key);
    CHECK(strcmp(ka->keys, want) == 0);
    CHECK(strcmp(kb->keys, want) == 0);
    /* rike's key log line. */
    snprintf(want, sizeof want, "ikev1 cky_i=%s cky_r=%s encr=7/256 hash=4 key=%s skeyid_a=%s\n", cky_i, cky_r,
             key, skeyid_a);
    CHECK(strcmp(ka->text, want) == 0);
    CHECK(strcmp(kb->text, want) == 0);

    /* Quick Mode's IPsec SA comes as CHILD_SA_UP: SPIs, keys, selectors,
     * AES-CBC-256 (12) with HMAC-SHA2-256-128 (12), esp_sa lines. */
    const ev_rec *ca_ = last(&n->a, RIKE_EVENT_TYPE_CHILD_SA_UP);
    const ev_rec *cb_ = last(&n->b, RIKE_EVENT_TYPE_CHILD_SA_UP);
    REQUIRE(ca_ && cb_);
    check_child_pair(ca_, cb_);
    CHECK(ca_->ike_sa == sa && cb_->ike_sa == sb);
    CHECK(strcmp(ca_->text, "net") == 0);
    CHECK(ca_->encr_id == 12 && ca_->integ_id == 12 && ca_->ekey_len == 32 && ca_->akey_len == 32);
    CHECK(ca_->encap == 0);
    CHECK(ca_->local_ts0.family == RIKE_AF_INET && ca_->local_ts0.start[1] == 1);
    CHECK(ca_->remote_ts0.start[1] == 2);
    char spi_in[16], spi_out[16];
    snprintf(spi_in, sizeof spi_in, "\"0x%08x\"", ca_->spi_in);
    snprintf(spi_out, sizeof spi_out, "\"0x%08x\"", ca_->spi_out);
    CHECK(strstr(ca_->keys, "\"IPv4\",\"192.0.2.2\",\"192.0.2.1\"") == ca_->keys);
    CHECK(strstr(ca_->keys, spi_in) != NULL && strstr(ca_->keys, spi_out) != NULL);
    CHECK(strstr(ca_->keys, spi_in) < strstr(ca_->keys, spi_out));
    CHECK(strstr(cb_->keys, "\"IPv4\",\"192.0.2.1\",\"192.0.2.2\"") == cb_->keys);

    /* Delete the ISAKMP SA from A: its IPsec SA, then it, go down on both
     * sides. */
    OK(rike_engine_delete_ike(n->a.e, n->now, sa));
    run_for(n, 5000);
    const ev_rec *cd_a = last(&n->a, RIKE_EVENT_TYPE_CHILD_SA_DOWN);
    const ev_rec *cd_b = last(&n->b, RIKE_EVENT_TYPE_CHILD_SA_DOWN);
    REQUIRE(cd_a && cd_b);
    CHECK(cd_a->child_sa == ca_->child_sa && cd_a->spi_in == ca_->spi_in && cd_a->spi_out == ca_->spi_out);
    CHECK(cd_b->child_sa == cb_->child_sa && cd_b->spi_in == cb_->spi_in);
    const ev_rec *end_a = last(&n->a, RIKE_EVENT_TYPE_IKE_SA_DOWN);
    const ev_rec *end_b = last(&n->b, RIKE_EVENT_TYPE_IKE_SA_DOWN);
    REQUIRE(end_a && end_b);
    CHECK(end_a->ike_sa == sa && end_a->reason == RIKE_DOWN_REASON_DELETED);
    CHECK(end_b->ike_sa == sb && end_b->reason == RIKE_DOWN_REASON_DELETED_BY_PEER);
    CHECK(!rike_engine_is_established(n->a.e, sa));
    run_for(n, 60000);
    size_t nsas = 99;
    OK(rike_engine_sas(n->a.e, NULL, 0, &nsas));
    CHECK(nsas == 0);
    OK(rike_engine_sas(n->b.e, NULL, 0, &nsas));
    CHECK(nsas == 0);
    net_free(n);
    free(n);
}

/* IKEv1 XAUTH and Mode-Config (pull), both asked of the application: A's
 * credentials through XAUTH_REQUEST, B's verdict through XAUTH_VERIFY; A
 * gets 10.9.0.1 and DNS 10.9.0.53 from B's pool. With a wrong password B
 * refuses and nothing comes up. */
static const rike_config *xauth_config(int initiator) {
    rike_peer_builder *p = NULL;
    REQUIRE(rike_peer_builder_new(initiator ? "v1-to-b" : "v1-from-a", &p) == RIKE_RESULT_OK);
    if (initiator) {
        rike_addr b = addr4(192, 0, 2, 2, 0);
        OK(rike_peer_builder_set_remote(p, &b));
    }
    OK(rike_peer_builder_set_local_id(p, initiator ? "a.example" : "b.example"));
    OK(rike_peer_builder_set_psk(p, (const uint8_t *)PSK, strlen(PSK)));
    OK(rike_peer_builder_add_ike_proposals(p, "aes128-sha256-modp2048"));
    rike_ikev1_options o;
    OK(rike_ikev1_options_default(&o));
    if (initiator) {
        OK(rike_peer_builder_set_xauth_client(p, "carol", NULL, 0)); /* ask the application */
        OK(rike_peer_builder_set_mode_config_client(p, true));
    } else {
        rike_addr pool[2] = {addr4(10, 9, 0, 1, 0), addr4(10, 9, 0, 2, 0)};
        rike_addr dns = addr4(10, 9, 0, 53, 0);
        OK(rike_peer_builder_set_xauth_server(p)); /* no users: ask the application */
        OK(rike_peer_builder_set_mode_config_server(p, true, pool, 2, &dns, 1));
    }
    /* XAUTH and Mode-Config survive setting the options after them. */
    OK(rike_peer_builder_set_ikev1(p, &o));
    OK(rike_peer_builder_add_child(p, initiator ? child_cfg("net", "0.0.0.0/0", "10.2.0.0/16", "aes128-sha256")
                                                : child_cfg("net", "10.2.0.0/16", "10.9.0.0/24", "aes128-sha256")));
    return one_peer_config(p);
}

static void ikev1_xauth_mode_config(int wrong_password) {
    const rike_config *ca = xauth_config(1);
    const rike_config *cb = xauth_config(0);
    net_t *n = (net_t *)xmalloc(sizeof *n);
    net_init(n, ca, cb);
    rike_config_free(ca);
    rike_config_free(cb);
    n->a.xauth_user = "carol";
    n->a.xauth_password = wrong_password ? "guess" : "pw";
    n->b.xauth_user = "carol";
    n->b.xauth_password = "pw";
    uint64_t sa = 0;
    OK(rike_engine_initiate(n->a.e, n->now, "v1-to-b", &n->a.ip500, &sa));
    run_for(n, 10000);
    CHECK(count(&n->a, RIKE_EVENT_TYPE_XAUTH_REQUEST) == 1);
    CHECK(count(&n->b, RIKE_EVENT_TYPE_XAUTH_VERIFY) == 1);
    const ev_rec *v = last(&n->b, RIKE_EVENT_TYPE_XAUTH_VERIFY);
    REQUIRE(v);
    CHECK(strcmp(v->text, wrong_password ? "carol:guess" : "carol:pw") == 0);
    CHECK(count(&n->a, RIKE_EVENT_TYPE_OTHER) == 0 && count(&n->b, RIKE_EVENT_TYPE_OTHER) == 0);
    if (wrong_password) {
        CHECK(count(&n->a, RIKE_EVENT_TYPE_CHILD_SA_UP) == 0 && count(&n->b, RIKE_EVENT_TYPE_CHILD_SA_UP) == 0);
        CHECK(count(&n->a, RIKE_EVENT_TYPE_MODE_CONFIG) == 0);
        const ev_rec *d = last(&n->a, RIKE_EVENT_TYPE_IKE_SA_DOWN);
        REQUIRE(d);
        CHECK(d->reason == RIKE_DOWN_REASON_AUTH_FAILED_BY_PEER);
    } else {
        const ev_rec *ma = last(&n->a, RIKE_EVENT_TYPE_MODE_CONFIG);
        const ev_rec *mb = last(&n->b, RIKE_EVENT_TYPE_MODE_CONFIG);
        REQUIRE(ma && mb);
        rike_addr vip = addr4(10, 9, 0, 1, 0), dns = addr4(10, 9, 0, 53, 0);
        CHECK(ma->by_us == 0 && mb->by_us == 1);
        CHECK(memcmp(&ma->addr, &vip, sizeof vip) == 0 && memcmp(&mb->addr, &vip, sizeof vip) == 0);
        CHECK(ma->ndns == 1 && memcmp(&ma->dns0, &dns, sizeof dns) == 0);
        CHECK(mb->ndns == 1 && memcmp(&mb->dns0, &dns, sizeof dns) == 0);
        const ev_rec *ca_ = last(&n->a, RIKE_EVENT_TYPE_CHILD_SA_UP);
        const ev_rec *cb_ = last(&n->b, RIKE_EVENT_TYPE_CHILD_SA_UP);
        REQUIRE(ca_ && cb_);
        check_child_pair(ca_, cb_);
        /* A's selector is the address it was given. */
        CHECK(memcmp(ca_->local_ts0.start, vip.ip, 4) == 0 && memcmp(ca_->local_ts0.end, vip.ip, 4) == 0);
        OK(rike_engine_delete_ike(n->a.e, n->now, sa));
        run_for(n, 5000);
    }
    run_for(n, 60000);
    size_t nsas = 99;
    OK(rike_engine_sas(n->a.e, NULL, 0, &nsas));
    CHECK(nsas == 0);
    OK(rike_engine_sas(n->b.e, NULL, 0, &nsas));
    CHECK(nsas == 0);
    net_free(n);
    free(n);
}

/* IKEv1 misuse: NULL, a structure from an older (smaller) header, values
 * out of range, key formats that do not fit the event. */
static void ikev1_misuse(void) {
    rike_ikev1_options o;
    CHECK_RESULT(rike_ikev1_options_default(NULL), RIKE_RESULT_NULL_PARAMETER);
    OK(rike_ikev1_options_default(&o));
    rike_peer_builder *p = NULL;
    REQUIRE(rike_peer_builder_new("v1", &p) == RIKE_RESULT_OK);
    CHECK_RESULT(rike_peer_builder_set_ikev1(NULL, &o), RIKE_RESULT_NULL_PARAMETER);
    CHECK_RESULT(rike_peer_builder_set_ikev1(p, NULL), RIKE_RESULT_NULL_PARAMETER);
    /* Too small a struct_size: refused without reading past it. */
    uint32_t *small = (uint32_t *)xmalloc(sizeof(uint32_t));
    *small = sizeof(uint32_t);
    CHECK_RESULT(rike_peer_builder_set_ikev1(p, (const rike_ikev1_options *)(void *)small),
                 RIKE_RESULT_INVALID_PARAMETER);
    CHECK(strstr(rike_last_error(), "struct_size") != NULL);
    free(small);
    rike_ikev1_options bad = o;
    bad.struct_size = 0;
    CHECK_RESULT(rike_peer_builder_set_ikev1(p, &bad), RIKE_RESULT_INVALID_PARAMETER);
    bad = o;
    bad.dpd_action = 0;
    CHECK_RESULT(rike_peer_builder_set_ikev1(p, &bad), RIKE_RESULT_INVALID_PARAMETER);
    bad.dpd_action = 3;
    CHECK_RESULT(rike_peer_builder_set_ikev1(p, &bad), RIKE_RESULT_INVALID_PARAMETER);
    bad = o;
    bad.aggressive = 2;
    CHECK_RESULT(rike_peer_builder_set_ikev1(p, &bad), RIKE_RESULT_INVALID_PARAMETER);
    bad = o;
    bad.nat_traversal = 255;
    CHECK_RESULT(rike_peer_builder_set_ikev1(p, &bad), RIKE_RESULT_INVALID_PARAMETER);
    bad = o;
    bad.reserved = 1;
    CHECK_RESULT(rike_peer_builder_set_ikev1(p, &bad), RIKE_RESULT_INVALID_PARAMETER);
    bad = o;
    bad.reserved2 = 1;
    CHECK_RESULT(rike_peer_builder_set_ikev1(p, &bad), RIKE_RESULT_INVALID_PARAMETER);
    bad = o;
    bad.ike_lifetime_s = 0;
    CHECK_RESULT(rike_peer_builder_set_ikev1(p, &bad), RIKE_RESULT_INVALID_PARAMETER);
    /* A larger structure (a newer header) is fine; so is RESTART. */
    bad = o;
    bad.struct_size = sizeof bad + 64;
    uint8_t *bigger = (uint8_t *)xmalloc(sizeof bad + 64);
    memset(bigger, 0, sizeof bad + 64);
    memcpy(bigger, &bad, sizeof bad);
    OK(rike_peer_builder_set_ikev1(p, (const rike_ikev1_options *)(void *)bigger));
    free(bigger);
    o.dpd_action = RIKE_DPD_ACTION_RESTART;
    OK(rike_peer_builder_set_ikev1(p, &o));
    rike_peer_builder_free(p);

    /* XAUTH and Mode-Config setters. */
    REQUIRE(rike_peer_builder_new("x", &p) == RIKE_RESULT_OK);
    CHECK_RESULT(rike_peer_builder_set_xauth_client(NULL, "u", NULL, 0), RIKE_RESULT_NULL_PARAMETER);
    CHECK_RESULT(rike_peer_builder_set_xauth_client(p, NULL, NULL, 0), RIKE_RESULT_NULL_PARAMETER);
    CHECK_RESULT(rike_peer_builder_set_xauth_client(p, "u", NULL, 3), RIKE_RESULT_OK); /* NULL: ask */
    CHECK_RESULT(rike_peer_builder_add_xauth_user(p, "u", (const uint8_t *)"pw", 2), RIKE_RESULT_WRONG_STATE);
    CHECK_RESULT(rike_peer_builder_set_xauth_server(NULL), RIKE_RESULT_NULL_PARAMETER);
    OK(rike_peer_builder_set_xauth_server(p));
    CHECK_RESULT(rike_peer_builder_add_xauth_user(p, "u", NULL, 2), RIKE_RESULT_NULL_PARAMETER);
    CHECK_RESULT(rike_peer_builder_add_xauth_user(p, NULL, (const uint8_t *)"pw", 2), RIKE_RESULT_NULL_PARAMETER);
    CHECK_RESULT(rike_peer_builder_add_xauth_user(p, "", (const uint8_t *)"pw", 2), RIKE_RESULT_INVALID_PARAMETER);
    OK(rike_peer_builder_add_xauth_user(p, "u", (const uint8_t *)"pw", 2));
    CHECK_RESULT(rike_peer_builder_set_mode_config_client(NULL, true), RIKE_RESULT_NULL_PARAMETER);
    rike_addr pool = addr4(10, 9, 0, 1, 0), none;
    memset(&none, 0, sizeof none);
    CHECK_RESULT(rike_peer_builder_set_mode_config_server(p, true, NULL, 1, NULL, 0), RIKE_RESULT_NULL_PARAMETER);
    CHECK_RESULT(rike_peer_builder_set_mode_config_server(p, true, &pool, 0, NULL, 0),
                 RIKE_RESULT_INVALID_PARAMETER);
    CHECK_RESULT(rike_peer_builder_set_mode_config_server(p, true, &none, 1, NULL, 0),
                 RIKE_RESULT_INVALID_PARAMETER);
    CHECK_RESULT(rike_peer_builder_set_mode_config_server(p, true, &pool, 1, NULL, 1), RIKE_RESULT_NULL_PARAMETER);
    CHECK_RESULT(rike_peer_builder_set_mode_config_server(p, true, &pool, 1, &none, 1),
                 RIKE_RESULT_INVALID_PARAMETER);
    OK(rike_peer_builder_set_mode_config_server(p, false, &pool, 1, &pool, 1));
    /* Without IKEv1 the peer is refused. */
    OK(rike_peer_builder_set_local_id(p, "x.example"));
    OK(rike_peer_builder_set_psk(p, (const uint8_t *)PSK, strlen(PSK)));
    rike_config_builder *cbld = NULL;
    REQUIRE(rike_config_builder_new(&cbld) == RIKE_RESULT_OK);
    CHECK_RESULT(rike_config_builder_add_peer(cbld, p), RIKE_RESULT_INVALID_PARAMETER); /* consumes p */
    CHECK(strstr(rike_last_error(), "need IKEv1") != NULL);
    rike_config_builder_free(cbld);

    /* Key formats that do not fit the event are checked while draining
     * (engine_common.h); with no event current, WRONG_STATE. */
    const rike_config *ca = initiator_config();
    rike_engine *e = NULL;
    REQUIRE(rike_engine_new(ca, &e) == RIKE_RESULT_OK);
    char buf[256];
    size_t len = 7;
    CHECK_RESULT(rike_engine_event_keys(e, RIKE_KEY_FORMAT_IKEV1_DECRYPTION_TABLE, buf, sizeof buf, &len),
                 RIKE_RESULT_WRONG_STATE);
    CHECK(len == 7);
    /* XAUTH answers: NULL engine, unknown SA. */
    CHECK_RESULT(rike_engine_provide_xauth(NULL, 0, 1, 1, "u", NULL, 0), RIKE_RESULT_NULL_PARAMETER);
    CHECK_RESULT(rike_engine_provide_xauth(e, 0, 12345, 1, "u", (const uint8_t *)"pw", 2), RIKE_RESULT_UNKNOWN_SA);
    CHECK_RESULT(rike_engine_provide_xauth(e, 0, 12345, 1, "u", NULL, 2), RIKE_RESULT_NULL_PARAMETER);
    CHECK_RESULT(rike_engine_provide_xauth(e, 0, 12345, 1, NULL, NULL, 0), RIKE_RESULT_UNKNOWN_SA);
    CHECK_RESULT(rike_engine_xauth_verdict(NULL, 0, 1, 1, true), RIKE_RESULT_NULL_PARAMETER);
    CHECK_RESULT(rike_engine_xauth_verdict(e, 0, 12345, 1, true), RIKE_RESULT_UNKNOWN_SA);
    rike_engine_free(e);
    rike_config_free(ca);
}

/* ---- loss: the first two datagrams are lost --------------------------------- */

static int drop_first_two(uint64_t k) { return k < 2; }

static void retransmission(void) {
    const rike_config *ca = initiator_config();
    const rike_config *cb = responder_config();
    net_t *n = (net_t *)xmalloc(sizeof *n);
    net_init(n, ca, cb);
    n->drop = drop_first_two;
    uint64_t sa = 0;
    OK(rike_engine_initiate(n->a.e, 0, "to-b", &n->a.ip500, &sa));
    uint64_t deadline = 0;
    OK(rike_engine_poll_timeout(n->a.e, &deadline));
    CHECK(deadline == 1000); /* first retransmission after 1 s */
    run_for(n, 20000);
    CHECK(count(&n->a, RIKE_EVENT_TYPE_IKE_SA_UP) == 1);
    CHECK(count(&n->b, RIKE_EVENT_TYPE_CHILD_SA_UP) == 1);
    CHECK(n->a.sent >= 3);
    net_free(n);
    free(n);
    rike_config_free(ca);
    rike_config_free(cb);
}

/* ---- certificates, an external key, admission ---------------------------- */

static void certificates_external_key_admission(void) {
    size_t rsa_key_len, rsa_len, p256_key_len, p256_len, inter_len, root_len;
    uint8_t *rsa_key = read_data("vectors/asym/ee-rsa.key", &rsa_key_len);
    uint8_t *rsa = read_data("vectors/asym/ee-rsa.pem", &rsa_len);
    uint8_t *p256_key = read_data("vectors/asym/ee-p256.key", &p256_key_len);
    uint8_t *p256 = read_data("vectors/asym/ee-p256.pem", &p256_len);
    uint8_t *inter = read_data("vectors/asym/inter.pem", &inter_len);
    uint8_t *root = read_data("vectors/asym/root.pem", &root_len);

    /* A: the RSA key is "external" (held by the test, used through
     * rike_key_sign when the engine asks). */
    rike_key *key = NULL;
    OK(rike_key_load(rsa_key, rsa_key_len, &key));
    uint32_t schemes[16];
    size_t ns = 0;
    CHECK_RESULT(rike_key_schemes(key, schemes, 1, &ns), RIKE_RESULT_INSUFFICIENT_SIZE);
    CHECK(ns > 1);
    OK(rike_key_schemes(key, schemes, 16, &ns));
    rike_peer_builder *pa = NULL;
    rike_addr b = addr4(192, 0, 2, 2, 500);
    OK(rike_peer_builder_new("to-b", &pa));
    OK(rike_peer_builder_set_remote(pa, &b));
    OK(rike_peer_builder_set_local_id(pa, "gw.example.org"));
    OK(rike_peer_builder_set_remote_id(pa, "vpn.example.com"));
    OK(rike_peer_builder_set_external_key(pa, schemes, ns));
    OK(rike_peer_builder_add_certificate(pa, rsa, rsa_len));
    OK(rike_peer_builder_add_certificate(pa, inter, inter_len));
    OK(rike_peer_builder_add_trusted_ca(pa, root, root_len));
    OK(rike_peer_builder_add_child(pa, child_cfg("net", "10.1.0.0/16", "10.2.0.0/16", NULL)));
    const rike_config *ca = one_peer_config(pa);

    /* B: its own P-256 key, and admission asked of the application. */
    rike_peer_builder *pb = NULL;
    OK(rike_peer_builder_new("from-a", &pb));
    OK(rike_peer_builder_set_local_id(pb, "vpn.example.com"));
    OK(rike_peer_builder_set_private_key(pb, p256_key, p256_key_len));
    OK(rike_peer_builder_add_certificate(pb, p256, p256_len));
    OK(rike_peer_builder_add_certificate(pb, inter, inter_len));
    OK(rike_peer_builder_add_trusted_ca(pb, root, root_len));
    OK(rike_peer_builder_add_child(pb, child_cfg("net", "10.2.0.0/16", "10.1.0.0/16", NULL)));
    rike_config_builder *bb = NULL;
    const rike_config *cb = NULL;
    OK(rike_config_builder_new(&bb));
    OK(rike_config_builder_set_ask_admission(bb, true));
    OK(rike_config_builder_set_fragment_mtu(bb, 576));
    OK(rike_config_builder_add_peer(bb, pb));
    OK(rike_config_builder_build(bb, &cb));

    net_t *n = (net_t *)xmalloc(sizeof *n);
    net_init(n, ca, cb);
    n->a.signer = key;
    n->b.admission = RIKE_ADMISSION_ACCEPT;
    uint64_t sa = 0;
    OK(rike_engine_initiate(n->a.e, 0, "to-b", &n->a.ip500, &sa));
    run_for(n, 5000);
    CHECK(count(&n->b, RIKE_EVENT_TYPE_HALF_OPEN_REQUEST) == 1);
    CHECK(count(&n->a, RIKE_EVENT_TYPE_SIGN_REQUEST) == 1);
    const ev_rec *sr = last(&n->a, RIKE_EVENT_TYPE_SIGN_REQUEST);
    REQUIRE(sr);
    CHECK(sr->ike_sa == sa && sr->request_id != 0 && sr->der == 1);
    CHECK(count(&n->a, RIKE_EVENT_TYPE_IKE_SA_UP) == 1);
    CHECK(count(&n->b, RIKE_EVENT_TYPE_IKE_SA_UP) == 1);
    const ev_rec *ub = last(&n->b, RIKE_EVENT_TYPE_IKE_SA_UP);
    CHECK(ub && strcmp(ub->text, "from-a gw.example.org") == 0);
    check_child_pair(last(&n->a, RIKE_EVENT_TYPE_CHILD_SA_UP), last(&n->b, RIKE_EVENT_TYPE_CHILD_SA_UP));
    /* Answering the sign request again: it is gone. */
    uint8_t junk[4] = {1, 2, 3, 4};
    CHECK_RESULT(rike_engine_provide_signature(n->a.e, n->now, sa, sr->request_id, junk, 4),
                 RIKE_RESULT_UNKNOWN_REQUEST);
    OK(rike_engine_delete_ike(n->b.e, n->now, only_sa(n->b.e)));
    run_for(n, 5000);
    CHECK(count(&n->a, RIKE_EVENT_TYPE_IKE_SA_DOWN) == 1);

    /* Admission refused: the initiator retransmits, then gives up. */
    net_free(n);
    net_init(n, ca, cb);
    n->a.signer = key;
    n->b.admission = RIKE_ADMISSION_DROP;
    OK(rike_engine_initiate(n->a.e, 0, "to-b", &n->a.ip500, &sa));
    run_for(n, 120000);
    CHECK(count(&n->b, RIKE_EVENT_TYPE_HALF_OPEN_REQUEST) >= 1);
    CHECK(count(&n->a, RIKE_EVENT_TYPE_IKE_SA_UP) == 0);
    const ev_rec *to = last(&n->a, RIKE_EVENT_TYPE_IKE_SA_DOWN);
    CHECK(to && to->reason == RIKE_DOWN_REASON_TIMEOUT);
    size_t nsas = 9;
    OK(rike_engine_sas(n->b.e, NULL, 0, &nsas));
    CHECK(nsas == 0);

    /* The external key cannot sign: A's SA fails, nothing is sent. */
    net_free(n);
    net_init(n, ca, cb);
    n->b.admission = RIKE_ADMISSION_ACCEPT;
    OK(rike_engine_initiate(n->a.e, 0, "to-b", &n->a.ip500, &sa));
    run_for(n, 5000);
    const ev_rec *fail = last(&n->a, RIKE_EVENT_TYPE_IKE_SA_DOWN);
    CHECK(fail && fail->reason == RIKE_DOWN_REASON_ERROR);
    CHECK(count(&n->b, RIKE_EVENT_TYPE_IKE_SA_UP) == 0);

    net_free(n);
    free(n);
    rike_key_free(key);
    rike_config_free(ca);
    rike_config_free(cb);
    free(rsa_key);
    free(rsa);
    free(p256_key);
    free(p256);
    free(inter);
    free(root);
}

/* ---- PSK asked of the application ---------------------------------------- */

static void psk_on_request(void) {
    const rike_config *ca = initiator_config();
    rike_peer_builder *p = NULL;
    OK(rike_peer_builder_new("anyone", &p));
    OK(rike_peer_builder_set_local_id(p, "b.example"));
    OK(rike_peer_builder_set_psk(p, (const uint8_t *)PSK, strlen(PSK)));
    OK(rike_peer_builder_set_psk_on_request(p));
    OK(rike_peer_builder_add_child(p, child_cfg("net", "10.2.0.0/16", "10.1.0.0/16", NULL)));
    const rike_config *cb = one_peer_config(p);

    net_t *n = (net_t *)xmalloc(sizeof *n);
    net_init(n, ca, cb);
    n->b.psk_answer = PSK;
    uint64_t sa = 0;
    OK(rike_engine_initiate(n->a.e, 0, "to-b", &n->a.ip500, &sa));
    run_for(n, 5000);
    const ev_rec *rq = last(&n->b, RIKE_EVENT_TYPE_PSK_REQUEST);
    REQUIRE(rq);
    CHECK(strcmp(rq->text, "a.example") == 0 && rq->request_id != 0);
    CHECK(count(&n->a, RIKE_EVENT_TYPE_IKE_SA_UP) == 1);
    CHECK(count(&n->b, RIKE_EVENT_TYPE_IKE_SA_UP) == 1);

    /* Refused: the initiator hears AUTHENTICATION_FAILED. */
    net_free(n);
    net_init(n, ca, cb);
    n->b.psk_answer = NULL;
    OK(rike_engine_initiate(n->a.e, 0, "to-b", &n->a.ip500, &sa));
    run_for(n, 5000);
    const ev_rec *d = last(&n->a, RIKE_EVENT_TYPE_IKE_SA_DOWN);
    CHECK(d && d->reason == RIKE_DOWN_REASON_AUTH_FAILED_BY_PEER);
    CHECK(count(&n->b, RIKE_EVENT_TYPE_IKE_SA_UP) == 0);
    net_free(n);
    free(n);
    rike_config_free(ca);
    rike_config_free(cb);
}

/* ---- RFC 8229: IKE over a TCP stream ---------------------------------------- */

/* Moves what `from` wants to send into `to` as stream bytes, in chunks of
 * `chunk` bytes (any chunking must do). Returns the number of frames. */
static size_t pump_stream(rike_engine *from, rike_engine *to, uint64_t now, size_t chunk, int *saw_prefix) {
    uint8_t buf[4096];
    size_t len, frames = 0;
    rike_transmit t;
    memset(&t, 0, sizeof t);
    t.struct_size = sizeof t;
    while (rike_engine_poll_transmit(from, buf, sizeof buf, &len, &t) == RIKE_RESULT_OK) {
        CHECK(t.flags & RIKE_TRANSMIT_TCP);
        if (len >= 6 && memcmp(buf, "IKETCP", 6) == 0) {
            (*saw_prefix)++;
        }
        frames++;
        /* The receiver sees the sender's addresses swapped. */
        for (size_t off = 0; off < len; off += chunk) {
            size_t n = len - off < chunk ? len - off : chunk;
            OK(rike_engine_handle_stream(to, now, &t.remote, &t.local, buf + off, n));
        }
    }
    return frames;
}

static void tcp_stream(void) {
    rike_peer_builder *p = NULL;
    rike_addr b4500 = addr4(192, 0, 2, 2, 4500);
    OK(rike_peer_builder_new("to-b", &p));
    OK(rike_peer_builder_set_remote(p, &b4500));
    OK(rike_peer_builder_set_local_id(p, "a.example"));
    OK(rike_peer_builder_set_psk(p, (const uint8_t *)PSK, strlen(PSK)));
    OK(rike_peer_builder_set_options(p, RIKE_PEER_FORCE_ENCAP));
    OK(rike_peer_builder_add_child(p, child_cfg("net", "10.1.0.0/16", "10.2.0.0/16", NULL)));
    const rike_config *ca = one_peer_config(p);
    const rike_config *cb = responder_config();
    rike_engine *a = NULL, *b = NULL;
    OK(rike_engine_new(ca, &a));
    OK(rike_engine_new(cb, &b));
    rike_addr a500 = addr4(192, 0, 2, 1, 500);
    /* A opened a TCP connection to B:4500 (the application does that). */
    OK(rike_engine_open_stream(a, &b4500));
    uint64_t sa = 0;
    OK(rike_engine_initiate(a, 0, "to-b", &a500, &sa));
    int prefix = 0;
    size_t frames = 0;
    for (int i = 0; i < 6; i++) {
        frames += pump_stream(a, b, 1, 1, &prefix);  /* byte by byte */
        frames += pump_stream(b, a, 1, 7, &prefix);  /* odd chunks */
    }
    CHECK(frames == 4 && prefix == 1);
    int up_a = 0, up_b = 0, child_a = 0;
    rike_event ev;
    for (rike_engine *e = a; e; e = e == a ? b : NULL) {
        memset(&ev, 0, sizeof ev);
        ev.struct_size = sizeof ev;
        while (rike_engine_poll_event(e, &ev) == RIKE_RESULT_OK) {
            if (ev.kind == RIKE_EVENT_TYPE_IKE_SA_UP) {
                *(e == a ? &up_a : &up_b) += 1;
            }
            if (ev.kind == RIKE_EVENT_TYPE_CHILD_SA_UP && e == a) {
                child_a++;
                CHECK(ev.u.child.encap == 2); /* in the TCP stream */
            }
        }
    }
    CHECK(up_a == 1 && up_b == 1 && child_a == 1);
    /* Broken framing (a length below the minimum): the stream is dropped. */
    rike_addr x = addr4(192, 0, 2, 9, 40000);
    const uint8_t bad[] = {0x00, 0x03, 0, 0, 0, 0, 1, 2};
    CHECK_RESULT(rike_engine_handle_stream(b, 2, &b4500, &x, bad, sizeof bad), RIKE_RESULT_MALFORMED);
    CHECK_RESULT(rike_engine_close_stream(b, &x), RIKE_RESULT_DONE);
    /* Neither side uses port 4500. */
    CHECK_RESULT(rike_engine_handle_stream(b, 2, &a500, &x, bad, sizeof bad), RIKE_RESULT_INVALID_PARAMETER);
    OK(rike_engine_close_stream(a, &b4500));
    CHECK_RESULT(rike_engine_close_stream(a, &b4500), RIKE_RESULT_DONE);
    rike_engine_free(a);
    rike_engine_free(b);
    rike_config_free(ca);
    rike_config_free(cb);
}

/* ---- misuse ---------------------------------------------------------------- */

static int log_lines;
static rike_result reentrant_result = RIKE_RESULT_OK;

static void log_cb(void *userdata, uint32_t level, const char *message) {
    rike_engine *e = (rike_engine *)userdata;
    log_lines++;
    CHECK(level == RIKE_LOG_LEVEL_INFO);
    CHECK(message != NULL && strlen(message) > 0);
    /* Calling back into the engine from its own callback is refused. */
    reentrant_result = rike_engine_handle_timeout(e, 0);
    uint64_t t;
    if (reentrant_result == RIKE_RESULT_REENTRANT) {
        reentrant_result = rike_engine_poll_timeout(e, &t);
    }
    rike_engine_free(e); /* ignored inside a call */
}

static void misuse(void) {
    const rike_config *ca = initiator_config();
    rike_engine *e = NULL;
    rike_addr me = addr4(192, 0, 2, 1, 500);
    rike_addr them = addr4(192, 0, 2, 2, 500);
    uint64_t sa = 0;

    /* NULL everywhere. */
    CHECK_RESULT(rike_engine_new(NULL, &e), RIKE_RESULT_NULL_PARAMETER);
    CHECK_RESULT(rike_engine_new(ca, NULL), RIKE_RESULT_NULL_PARAMETER);
    CHECK_RESULT(rike_engine_new_seeded(ca, NULL, 32, &e), RIKE_RESULT_NULL_PARAMETER);
    uint8_t seed[31] = {0};
    CHECK_RESULT(rike_engine_new_seeded(ca, seed, sizeof seed, &e), RIKE_RESULT_INVALID_PARAMETER);
    CHECK(e == NULL); /* out-parameters only on success */
    CHECK_RESULT(rike_engine_handle_timeout(NULL, 0), RIKE_RESULT_NULL_PARAMETER);
    CHECK_RESULT(rike_engine_initiate(NULL, 0, "to-b", &me, &sa), RIKE_RESULT_NULL_PARAMETER);
    rike_engine_free(NULL);
    rike_config_free(NULL);
    rike_config_builder_free(NULL);
    rike_peer_builder_free(NULL);
    rike_child_builder_free(NULL);
    rike_key_free(NULL);
    CHECK(rike_config_peer_count(NULL) == 0);
    CHECK(rike_config_peer_count(ca) == 1);
    CHECK(!rike_engine_is_established(NULL, 1));

    OK(rike_engine_new(ca, &e));
    CHECK_RESULT(rike_engine_initiate(e, 0, NULL, &me, &sa), RIKE_RESULT_NULL_PARAMETER);
    CHECK_RESULT(rike_engine_initiate(e, 0, "to-b", NULL, &sa), RIKE_RESULT_NULL_PARAMETER);
    CHECK_RESULT(rike_engine_initiate(e, 0, "to-b", &me, NULL), RIKE_RESULT_NULL_PARAMETER);
    CHECK_RESULT(rike_engine_handle_datagram(e, 0, NULL, &them, (const uint8_t *)"x", 1),
                 RIKE_RESULT_NULL_PARAMETER);
    CHECK_RESULT(rike_engine_handle_datagram(e, 0, &me, &them, NULL, 5), RIKE_RESULT_NULL_PARAMETER);
    OK(rike_engine_handle_datagram(e, 0, &me, &them, NULL, 0));
    CHECK_RESULT(rike_engine_poll_event(e, NULL), RIKE_RESULT_NULL_PARAMETER);
    CHECK_RESULT(rike_engine_poll_timeout(e, NULL), RIKE_RESULT_NULL_PARAMETER);
    CHECK_RESULT(rike_engine_stats(e, NULL), RIKE_RESULT_NULL_PARAMETER);
    CHECK_RESULT(rike_engine_sas(e, NULL, 0, NULL), RIKE_RESULT_NULL_PARAMETER);
    CHECK_RESULT(rike_engine_event_keys(e, 1, NULL, 0, NULL), RIKE_RESULT_NULL_PARAMETER);
    CHECK_RESULT(rike_engine_create_child(e, 0, 1, NULL), RIKE_RESULT_NULL_PARAMETER);
    CHECK_RESULT(rike_engine_set_log(NULL, NULL, NULL), RIKE_RESULT_NULL_PARAMETER);
    CHECK_RESULT(rike_engine_open_stream(e, NULL), RIKE_RESULT_NULL_PARAMETER);

    /* Addresses of no known family. */
    rike_addr bad = me;
    bad.family = 5;
    CHECK_RESULT(rike_engine_handle_datagram(e, 0, &bad, &them, (const uint8_t *)"x", 1),
                 RIKE_RESULT_INVALID_PARAMETER);
    CHECK(strstr(rike_last_error(), "family") != NULL);
    CHECK_RESULT(rike_engine_initiate(e, 0, "to-b", &bad, &sa), RIKE_RESULT_INVALID_PARAMETER);

    /* Unknown names, handles and requests. */
    CHECK_RESULT(rike_engine_initiate(e, 0, "nobody", &me, &sa), RIKE_RESULT_UNKNOWN_NAME);
    CHECK_RESULT(rike_engine_rekey_ike(e, 0, 42), RIKE_RESULT_UNKNOWN_SA);
    CHECK_RESULT(rike_engine_provide_psk(e, 0, 42, 1, (const uint8_t *)"k", 1), RIKE_RESULT_UNKNOWN_SA);
    CHECK_RESULT(rike_engine_admit(e, 0, 77, RIKE_ADMISSION_ACCEPT), RIKE_RESULT_UNKNOWN_REQUEST);
    CHECK_RESULT(rike_engine_admit(e, 0, 77, 9), RIKE_RESULT_INVALID_PARAMETER);

    /* Output structures without their size. */
    rike_event ev;
    memset(&ev, 0, sizeof ev);
    CHECK_RESULT(rike_engine_poll_event(e, &ev), RIKE_RESULT_INVALID_PARAMETER);
    rike_transmit t;
    memset(&t, 0, sizeof t);
    uint8_t buf[2048];
    size_t len = 0;
    CHECK_RESULT(rike_engine_poll_transmit(e, buf, sizeof buf, &len, &t), RIKE_RESULT_INVALID_PARAMETER);
    t.struct_size = sizeof t;
    CHECK_RESULT(rike_engine_poll_transmit(e, buf, sizeof buf, NULL, &t), RIKE_RESULT_NULL_PARAMETER);
    CHECK_RESULT(rike_engine_poll_transmit(e, buf, sizeof buf, &len, NULL), RIKE_RESULT_NULL_PARAMETER);
    CHECK_RESULT(rike_engine_poll_transmit(e, buf, sizeof buf, &len, &t), RIKE_RESULT_DONE);

    /* The log callback, and a re-entrant call from it. */
    OK(rike_engine_set_log(e, log_cb, e));

    /* Buffer too small: the size needed, and the datagram stays queued. */
    OK(rike_engine_initiate(e, 0, "to-b", &me, &sa));
    size_t need = 0;
    CHECK_RESULT(rike_engine_poll_transmit(e, buf, 10, &need, &t), RIKE_RESULT_INSUFFICIENT_SIZE);
    CHECK(need > 100 && need < sizeof buf);
    size_t need2 = 0;
    CHECK_RESULT(rike_engine_poll_transmit(e, NULL, 0, &need2, &t), RIKE_RESULT_INSUFFICIENT_SIZE);
    CHECK(need2 == need);
    uint8_t *exact = (uint8_t *)xmalloc(need);
    OK(rike_engine_poll_transmit(e, exact, need, &len, &t));
    CHECK(len == need);
    CHECK(exact[17] == 0x20 && exact[18] == 34); /* IKEv2, IKE_SA_INIT */
    CHECK(t.ike_sa == sa && t.remote.port == 500 && t.remote.ip[3] == 2 && t.flags == 0);
    free(exact);
    CHECK_RESULT(rike_engine_poll_transmit(e, buf, sizeof buf, &len, &t), RIKE_RESULT_DONE);

    /* Hostile datagrams: dropped and counted, never an error. */
    size_t hostile_len[] = {0, 1, 3, 27, 28, 29, 100, 1500};
    for (size_t i = 0; i < sizeof hostile_len / sizeof hostile_len[0]; i++) {
        size_t hl = hostile_len[i];
        uint8_t *h = (uint8_t *)xmalloc(hl);
        for (size_t k = 0; k < hl; k++) {
            h[k] = (uint8_t)(k * 37 + i);
        }
        if (hl >= 28) {
            h[17] = 0x20; /* version 2 */
            h[18] = 34;   /* IKE_SA_INIT */
        }
        OK(rike_engine_handle_datagram(e, 1, &me, &them, h, hl));
        free(h);
    }
    rike_stats st;
    memset(&st, 0, sizeof st);
    st.struct_size = sizeof st;
    OK(rike_engine_stats(e, &st));
    CHECK(st.dropped >= 6);

    /* Retransmission fires from the timer; the callback logs nothing
     * else. A log line is produced when the SA gives up. */
    uint64_t when = 0;
    OK(rike_engine_poll_timeout(e, &when));
    CHECK(when == 1000);
    for (int i = 0; i < 10; i++) {
        OK(rike_engine_handle_timeout(e, when));
        while (rike_engine_poll_transmit(e, buf, sizeof buf, &len, &t) == RIKE_RESULT_OK) {
        }
        if (rike_engine_poll_timeout(e, &when) != RIKE_RESULT_OK) {
            break;
        }
    }
    CHECK(log_lines >= 1);
    CHECK_RESULT(reentrant_result, RIKE_RESULT_REENTRANT);
    /* The engine still works after the refused calls. */
    memset(&ev, 0, sizeof ev);
    ev.struct_size = sizeof ev;
    OK(rike_engine_poll_event(e, &ev));
    CHECK(ev.kind == RIKE_EVENT_TYPE_IKE_SA_DOWN && ev.ike_sa == sa);
    CHECK(ev.u.down.reason == RIKE_DOWN_REASON_TIMEOUT);
    /* No keys in this event; an unknown format; keys after the event's end. */
    char text[64];
    size_t tl = 0;
    CHECK_RESULT(rike_engine_event_keys(e, RIKE_KEY_FORMAT_ESP_SA, text, sizeof text, &tl),
                 RIKE_RESULT_WRONG_STATE);
    CHECK_RESULT(rike_engine_event_keys(e, 99, text, sizeof text, &tl), RIKE_RESULT_INVALID_PARAMETER);
    CHECK_RESULT(rike_engine_poll_event(e, &ev), RIKE_RESULT_DONE);
    CHECK_RESULT(rike_engine_event_keys(e, RIKE_KEY_FORMAT_KEY_LOG, text, sizeof text, &tl),
                 RIKE_RESULT_WRONG_STATE);
    /* A stale handle once the SA is gone. */
    CHECK_RESULT(rike_engine_delete_ike(e, 2, sa), RIKE_RESULT_UNKNOWN_SA);
    OK(rike_engine_set_log(e, NULL, NULL));
    rike_engine_free(e);

    /* Key lines into a small buffer: the size needed. */
    const rike_config *cb = responder_config();
    net_t *n = (net_t *)xmalloc(sizeof *n);
    net_init(n, ca, cb);
    n->a.export_keys = 0;
    n->b.export_keys = 0;
    OK(rike_engine_initiate(n->a.e, 0, "to-b", &n->a.ip500, &sa));
    /* Step by hand until A's IKE_KEYS event. */
    int found = 0;
    for (int step = 0; step < 10 && !found; step++) {
        drain(n, &n->b, 0);
        deliver(n);
        while (!found) {
            memset(&ev, 0, sizeof ev);
            ev.struct_size = sizeof ev;
            while (rike_engine_poll_transmit(n->a.e, buf, sizeof buf, &len, &t) == RIKE_RESULT_OK) {
                REQUIRE(n->nflight < MAX_FLIGHT);
                flight_t *f = &n->flight[n->nflight++];
                f->to_b = 1;
                f->local = t.remote;
                f->remote = t.local;
                f->data = (uint8_t *)xmalloc(len);
                memcpy(f->data, buf, len);
                f->len = len;
            }
            if (rike_engine_poll_event(n->a.e, &ev) != RIKE_RESULT_OK) {
                break;
            }
            if (ev.kind == RIKE_EVENT_TYPE_IKE_KEYS) {
                found = 1;
            }
        }
        deliver(n);
    }
    REQUIRE(found);
    char small[8];
    size_t needed = 0;
    CHECK_RESULT(rike_engine_event_keys(n->a.e, RIKE_KEY_FORMAT_IKEV2_DECRYPTION_TABLE, small,
                                        sizeof small, &needed),
                 RIKE_RESULT_INSUFFICIENT_SIZE);
    CHECK(needed > 100);
    char *line = (char *)xmalloc(needed);
    size_t got = 0;
    /* The event's data is still there after the failed call and after
     * other const calls. */
    uint64_t dl;
    (void)rike_engine_poll_timeout(n->a.e, &dl);
    OK(rike_engine_event_keys(n->a.e, RIKE_KEY_FORMAT_IKEV2_DECRYPTION_TABLE, line, needed, &got));
    CHECK(got + 1 == needed && line[got] == '\0' && line[got - 1] == '\n');
    CHECK(ev.u.ike_keys.sk_ei.len == 36);
    free(line);
    char log_line[512];
    OK(rike_engine_event_keys(n->a.e, RIKE_KEY_FORMAT_KEY_LOG, log_line, sizeof log_line, &got));
    CHECK(strncmp(log_line, "ikev2 spi_i=", 12) == 0);
    net_free(n);
    free(n);
    rike_config_free(cb);

    /* Builders: bad input is refused and says why. */
    rike_peer_builder *p = NULL;
    CHECK_RESULT(rike_peer_builder_new(NULL, &p), RIKE_RESULT_NULL_PARAMETER);
    CHECK_RESULT(rike_peer_builder_new("", &p), RIKE_RESULT_INVALID_PARAMETER);
    CHECK(p == NULL);
    OK(rike_peer_builder_new("p", &p));
    CHECK_RESULT(rike_peer_builder_add_ike_proposals(p, "aes256gcm16-sha256-prfsha256-x25519"),
                 RIKE_RESULT_INVALID_PARAMETER);
    CHECK(strstr(rike_last_error(), "AEAD") != NULL);
    CHECK_RESULT(rike_peer_builder_add_ike_proposals(p, "aes256-bogus-modp2048"), RIKE_RESULT_INVALID_PARAMETER);
    CHECK(strstr(rike_last_error(), "bogus") != NULL);
    CHECK_RESULT(rike_peer_builder_add_ike_proposals(p, "aes256gcm16-x25519"), RIKE_RESULT_INVALID_PARAMETER);
    CHECK_RESULT(rike_peer_builder_add_ike_proposals(p, ","), RIKE_RESULT_INVALID_PARAMETER);
    CHECK_RESULT(rike_peer_builder_add_ike_proposals(p, NULL), RIKE_RESULT_NULL_PARAMETER);
    rike_transform tr[2];
    memset(tr, 0, sizeof tr);
    tr[0].transform_type = 1;
    tr[0].id = 20;
    tr[0].key_bits = 128;
    tr[1].transform_type = 99;
    CHECK_RESULT(rike_peer_builder_add_ike_proposal(p, tr, 2), RIKE_RESULT_INVALID_PARAMETER);
    CHECK_RESULT(rike_peer_builder_add_ike_proposal(p, tr, 1), RIKE_RESULT_INVALID_PARAMETER); /* no PRF, KE */
    CHECK_RESULT(rike_peer_builder_add_ike_proposal(p, NULL, 1), RIKE_RESULT_NULL_PARAMETER);
    CHECK_RESULT(rike_peer_builder_add_ike_proposal(p, tr, 0), RIKE_RESULT_INVALID_PARAMETER);
    CHECK_RESULT(rike_peer_builder_set_local_id(p, "%any"), RIKE_RESULT_INVALID_PARAMETER);
    CHECK_RESULT(rike_peer_builder_set_psk(p, (const uint8_t *)"", 0), RIKE_RESULT_INVALID_PARAMETER);
    CHECK_RESULT(rike_peer_builder_set_private_key(p, (const uint8_t *)"not a key", 9), RIKE_RESULT_CRYPTO);
    CHECK_RESULT(rike_peer_builder_add_certificate(p, (const uint8_t *)"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", 60),
                 RIKE_RESULT_CRYPTO);
    CHECK_RESULT(rike_peer_builder_add_trusted_ca(p, (const uint8_t *)"\x30\x03\x02\x01\x01", 5), RIKE_RESULT_CRYPTO);
    uint32_t bad_scheme = 999;
    CHECK_RESULT(rike_peer_builder_set_external_key(p, &bad_scheme, 1), RIKE_RESULT_INVALID_PARAMETER);
    CHECK_RESULT(rike_peer_builder_set_external_key(p, &bad_scheme, 0), RIKE_RESULT_INVALID_PARAMETER);
    CHECK_RESULT(rike_peer_builder_set_options(p, 0x100), RIKE_RESULT_INVALID_PARAMETER);
    CHECK_RESULT(rike_peer_builder_set_remote(p, &bad), RIKE_RESULT_INVALID_PARAMETER);
    CHECK_RESULT(rike_peer_builder_set_local_id_raw(p, 0, (const uint8_t *)"x", 1), RIKE_RESULT_INVALID_PARAMETER);
    OK(rike_peer_builder_set_local_id_raw(p, 11, (const uint8_t *)"\x01\x02", 2));
    CHECK_RESULT(rike_peer_builder_add_child(p, NULL), RIKE_RESULT_NULL_PARAMETER);
    rike_child_builder *c = NULL;
    OK(rike_child_builder_new("c", &c));
    CHECK_RESULT(rike_child_builder_add_local_ts(c, "10.0.0.0/33"), RIKE_RESULT_INVALID_PARAMETER);
    CHECK(strstr(rike_last_error(), "10.0.0.0/33") != NULL);
    CHECK_RESULT(rike_child_builder_add_remote_ts(c, "10.0.0.9-10.0.0.1"), RIKE_RESULT_INVALID_PARAMETER);
    CHECK_RESULT(rike_child_builder_add_esp_proposals(c, "aes128-prfsha256"), RIKE_RESULT_INVALID_PARAMETER);
    CHECK_RESULT(rike_child_builder_set_mode(c, 7), RIKE_RESULT_INVALID_PARAMETER);
    OK(rike_child_builder_set_mode(c, RIKE_IPSEC_MODE_TRANSPORT));
    CHECK_RESULT(rike_child_builder_set_lifetimes(c, 100, 50), RIKE_RESULT_INVALID_PARAMETER);
    rike_ts ts;
    memset(&ts, 0, sizeof ts);
    ts.family = RIKE_AF_INET6;
    ts.end_port = 65535;
    memset(ts.end, 0xff, 16);
    OK(rike_child_builder_add_ts(c, true, &ts));
    ts.start_port = 10;
    ts.end_port = 9;
    CHECK_RESULT(rike_child_builder_add_ts(c, false, &ts), RIKE_RESULT_INVALID_PARAMETER);
    OK(rike_child_builder_add_remote_ts(c, "%any6"));
    OK(rike_peer_builder_add_child(p, c)); /* consumed */
    rike_child_builder *dup = NULL;
    OK(rike_child_builder_new("c", &dup));
    CHECK_RESULT(rike_peer_builder_add_child(p, dup), RIKE_RESULT_INVALID_PARAMETER); /* consumed too */
    rike_config_builder *b = NULL;
    OK(rike_config_builder_new(&b));
    /* No credential: refused, and the peer is consumed anyway. */
    CHECK_RESULT(rike_config_builder_add_peer(b, p), RIKE_RESULT_INVALID_PARAMETER);
    CHECK(strstr(rike_last_error(), "credential") != NULL);
    rike_limits lim;
    OK(rike_limits_default(&lim));
    CHECK(lim.struct_size == sizeof lim && lim.half_open_max > 0);
    lim.cookie_threshold = 0; /* cookies always */
    OK(rike_config_builder_set_limits(b, &lim));
    lim.struct_size = 4;
    CHECK_RESULT(rike_config_builder_set_limits(b, &lim), RIKE_RESULT_INVALID_PARAMETER);
    CHECK_RESULT(rike_config_builder_set_retransmit(b, 0, 20, 3), RIKE_RESULT_INVALID_PARAMETER);
    OK(rike_config_builder_set_retransmit(b, 500, 20, 3));
    CHECK_RESULT(rike_config_builder_set_fragment_mtu(b, 100), RIKE_RESULT_INVALID_PARAMETER);
    OK(rike_config_builder_set_nat_keepalive(b, 0));
    const rike_config *none = NULL;
    /* No peers: refused, the builder consumed. */
    CHECK_RESULT(rike_config_builder_build(b, &none), RIKE_RESULT_INVALID_PARAMETER);
    CHECK(none == NULL);
    OK(rike_config_builder_new(&b));
    CHECK_RESULT(rike_config_builder_build(b, NULL), RIKE_RESULT_NULL_PARAMETER); /* consumed */
    /* Two peers of one name. */
    OK(rike_config_builder_new(&b));
    rike_peer_builder *p1 = NULL, *p2 = NULL;
    OK(rike_peer_builder_new("same", &p1));
    OK(rike_peer_builder_set_local_id(p1, "x.example"));
    OK(rike_peer_builder_set_psk(p1, (const uint8_t *)"k", 1));
    OK(rike_peer_builder_new("same", &p2));
    OK(rike_peer_builder_set_local_id(p2, "y.example"));
    OK(rike_peer_builder_set_psk(p2, (const uint8_t *)"k", 1));
    OK(rike_config_builder_add_peer(b, p1));
    CHECK_RESULT(rike_config_builder_add_peer(b, p2), RIKE_RESULT_INVALID_PARAMETER);
    rike_config_builder_free(b);
    /* A peer that only responds cannot initiate. */
    rike_peer_builder *resp = NULL;
    OK(rike_peer_builder_new("resp", &resp));
    OK(rike_peer_builder_set_local_id(resp, "r.example"));
    OK(rike_peer_builder_set_psk(resp, (const uint8_t *)"k", 1));
    const rike_config *rc = one_peer_config(resp);
    OK(rike_engine_new(rc, &e));
    CHECK_RESULT(rike_engine_initiate(e, 0, "resp", &me, &sa), RIKE_RESULT_WRONG_STATE);
    rike_engine_free(e);
    rike_config_free(rc);

    /* Keys used directly. */
    size_t kl;
    uint8_t *kd = read_data("vectors/asym/ee-p256.key", &kl);
    rike_key *k = NULL;
    CHECK_RESULT(rike_key_load(kd, 3, &k), RIKE_RESULT_CRYPTO);
    CHECK(k == NULL);
    OK(rike_key_load(kd, kl, &k));
    uint8_t sig[256];
    size_t sl = 0;
    CHECK_RESULT(rike_key_sign(k, RIKE_SIGN_SCHEME_RSA_PKCS1_SHA256, false, (const uint8_t *)"m", 1, sig,
                               sizeof sig, &sl),
                 RIKE_RESULT_UNSUPPORTED);
    CHECK_RESULT(rike_key_sign(k, RIKE_SIGN_SCHEME_ECDSA_P256_SHA256, false, (const uint8_t *)"m", 1, sig, 8, &sl),
                 RIKE_RESULT_INSUFFICIENT_SIZE);
    CHECK(sl == 64);
    OK(rike_key_sign(k, RIKE_SIGN_SCHEME_ECDSA_P256_SHA256, false, (const uint8_t *)"m", 1, sig, sizeof sig, &sl));
    CHECK(sl == 64);
    OK(rike_key_sign(k, RIKE_SIGN_SCHEME_ECDSA_P256_SHA256, true, (const uint8_t *)"m", 1, sig, sizeof sig, &sl));
    CHECK(sl > 64 && sig[0] == 0x30);
    CHECK_RESULT(rike_key_sign(k, 0, false, NULL, 0, sig, sizeof sig, &sl), RIKE_RESULT_INVALID_PARAMETER);
    rike_key_free(k);
    free(kd);

    /* Addresses as text. */
    rike_addr a;
    OK(rike_addr_parse("192.0.2.7:4500", 0, &a));
    CHECK(a.family == RIKE_AF_INET && a.port == 4500 && a.ip[3] == 7);
    OK(rike_addr_parse("2001:db8::1", 500, &a));
    CHECK(a.family == RIKE_AF_INET6 && a.port == 500 && a.ip[0] == 0x20 && a.ip[15] == 1);
    CHECK_RESULT(rike_addr_parse("not an address", 0, &a), RIKE_RESULT_INVALID_PARAMETER);
    CHECK_RESULT(rike_addr_parse(NULL, 0, &a), RIKE_RESULT_NULL_PARAMETER);
    char at[48];
    size_t al = 0;
    OK(rike_addr_format(&a, true, at, sizeof at, &al));
    CHECK(strcmp(at, "[2001:db8::1]:500") == 0 && al == strlen(at));
    CHECK_RESULT(rike_addr_format(&a, false, at, 4, &al), RIKE_RESULT_INSUFFICIENT_SIZE);
    CHECK(al == strlen("2001:db8::1") + 1);
    CHECK_RESULT(rike_addr_format(&bad, false, at, sizeof at, &al), RIKE_RESULT_INVALID_PARAMETER);

    /* Every result code has a text. */
    uint32_t codes[] = {RIKE_RESULT_UNKNOWN_SA,  RIKE_RESULT_UNKNOWN_CHILD, RIKE_RESULT_UNKNOWN_REQUEST,
                        RIKE_RESULT_UNKNOWN_NAME, RIKE_RESULT_LIMIT,        RIKE_RESULT_CRYPTO,
                        RIKE_RESULT_UNSUPPORTED};
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        CHECK(strcmp(rike_result_str(codes[i]), "unknown result") != 0);
    }
    rike_config_free(ca);
}

int main(void) {
    full_cycle();
    retransmission();
    certificates_external_key_admission();
    psk_on_request();
    tcp_stream();
    ikev1_cycle(0);
    ikev1_cycle(1);
    ikev1_xauth_mode_config(0);
    ikev1_xauth_mode_config(1);
    ikev1_misuse();
    misuse();
    return check_summary("engine_api");
}
