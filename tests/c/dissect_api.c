/* Tests of rike's dissection C API: normal use and misuse (NULL pointers,
 * zero length, 64 KiB of random bytes, truncated frames, a capture state
 * used after reset). Built and run by tests/c/run.sh plain, under
 * AddressSanitizer + UBSan and under valgrind: every case must return a
 * clear result code, never crash, and leave nothing allocated.
 *
 * Input buffers are heap copies of exactly the tested length, so an
 * over-read by the library is caught (by valgrind for the Rust code, which
 * ASan does not instrument).
 *
 * SPDX-License-Identifier: MIT OR Apache-2.0 */

#include "rike.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "messages.h"

/* ---- a minimal check framework ---------------------------------------- */

static unsigned long checks;
static unsigned long failures;
static char context[256] = "";

static void check_at(int ok, const char *what, const char *file, int line) {
    checks++;
    if (ok) {
        return;
    }
    failures++;
    if (failures <= 60) {
        fprintf(stderr, "%s:%d: FAILED: %s%s%s%s\n", file, line, what, context[0] ? "  [" : "",
                context[0] ? context : "", context[0] ? "]" : "");
    }
}

#define CHECK(cond) check_at((cond) != 0, #cond, __FILE__, __LINE__)

/* Compares a result code and prints both names on a mismatch. */
#define CHECK_RESULT(expr, want)                                                           \
    do {                                                                                   \
        unsigned got_ = (unsigned)(expr);                                                  \
        unsigned want_ = (unsigned)(want);                                                 \
        char what_[512];                                                                   \
        snprintf(what_, sizeof what_, "%s == %s (got %u \"%s\", want %u \"%s\")", #expr,   \
                 #want, got_, rike_result_str(got_), want_, rike_result_str(want_));       \
        check_at(got_ == want_, what_, __FILE__, __LINE__);                                \
    } while (0)

#define SET_CONTEXT(...) snprintf(context, sizeof context, __VA_ARGS__)

/* ---- helpers ----------------------------------------------------------- */

/* A heap buffer of exactly `len` bytes (1 when len is 0, so the pointer is
 * valid and non-NULL). */
typedef struct {
    uint8_t *p;
    size_t len;
} buf_t;

static buf_t buf_copy(const uint8_t *src, size_t len) {
    buf_t b;
    b.p = (uint8_t *)malloc(len ? len : 1);
    if (!b.p) {
        fprintf(stderr, "out of memory\n");
        exit(2);
    }
    if (len) {
        memcpy(b.p, src, len);
    }
    b.len = len;
    return b;
}

static int hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static buf_t unhex(const char *hex) {
    size_t n = strlen(hex);
    buf_t b;
    size_t i;
    if (n % 2) {
        fprintf(stderr, "odd hex string\n");
        exit(2);
    }
    b.len = n / 2;
    b.p = (uint8_t *)malloc(b.len ? b.len : 1);
    if (!b.p) {
        exit(2);
    }
    for (i = 0; i < b.len; i++) {
        int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            fprintf(stderr, "bad hex digit\n");
            exit(2);
        }
        b.p[i] = (uint8_t)(hi << 4 | lo);
    }
    return b;
}

static void buf_free(buf_t *b) {
    free(b->p);
    b->p = NULL;
    b->len = 0;
}

/* xorshift64*, fixed seed: the same "random" bytes on every run. */
static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint64_t rng(void) {
    uint64_t x = rng_state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    rng_state = x;
    return x * 0x2545F4914F6CDD1Dull;
}
static void rng_fill(uint8_t *p, size_t n) {
    size_t i;
    for (i = 0; i < n; i++) {
        p[i] = (uint8_t)(rng() >> 56);
    }
}

/* Field id by filter name; fails the test (and returns SIZE_MAX) if the
 * catalogue has no such field. */
static size_t field_id(const char *abbrev) {
    size_t i, n = rike_field_count();
    for (i = 0; i < n; i++) {
        const rike_field_info *f = rike_field_get(i);
        if (f && f->abbrev && strcmp(f->abbrev, abbrev) == 0) {
            return i;
        }
    }
    fprintf(stderr, "no field %s in the catalogue\n", abbrev);
    failures++;
    return SIZE_MAX;
}

static size_t expert_id(const char *abbrev) {
    size_t i, n = rike_expert_count();
    for (i = 0; i < n; i++) {
        const rike_expert_info *e = rike_expert_get(i);
        if (e && e->abbrev && strcmp(e->abbrev, abbrev) == 0) {
            return i;
        }
    }
    fprintf(stderr, "no expert info %s in the catalogue\n", abbrev);
    failures++;
    return SIZE_MAX;
}

/* The first record of field `field` at or after index `from`, or NULL. */
static const rike_record *find_record(const rike_dissection *d, size_t field, size_t from) {
    size_t n = 0, i;
    const rike_record *r = rike_dissection_records(d, &n);
    for (i = from; i < n; i++) {
        if (r[i].field == field) {
            return &r[i];
        }
    }
    return NULL;
}

/* The first record whose field has filter name `abbrev` (several fields
 * may share one, as in Wireshark: IKEv1 and IKEv2 ID types), or NULL. */
static const rike_record *find_record_abbrev(const rike_dissection *d, const char *abbrev) {
    size_t n = 0, i;
    const rike_record *r = rike_dissection_records(d, &n);
    for (i = 0; i < n; i++) {
        const rike_field_info *f = rike_field_get(r[i].field);
        if (f && strcmp(f->abbrev, abbrev) == 0) {
            return &r[i];
        }
    }
    return NULL;
}

static int has_expert(const rike_dissection *d, size_t expert) {
    size_t n = 0, i;
    const rike_expert_record *e = rike_dissection_experts(d, &n);
    for (i = 0; i < n; i++) {
        if (e[i].expert == expert) {
            return 1;
        }
    }
    return 0;
}

/* Sum of all text lengths, so valgrind sees every byte of every string. */
static volatile size_t text_bytes;

/* The structural rules every dissection follows, whatever the input:
 * depth starts at 0 and never jumps by more than +1; byte ranges of
 * records lie inside the buffer; ids lie inside the catalogues; text is
 * set exactly when the flag says so; experts point at existing records.
 * `experts`: -1 any, 0 none allowed, 1 at least one required. */
static void check_dissection(const rike_dissection *d, size_t len, int experts) {
    size_t nrec = 12345, nexp = 12345, i;
    const rike_record *rec;
    const rike_expert_record *exp;
    const char *summary;
    const size_t nfields = rike_field_count(), nexperts = rike_expert_count();
    size_t nsources;

    CHECK(d != NULL);
    if (!d) {
        return;
    }
    rec = rike_dissection_records(d, &nrec);
    exp = rike_dissection_experts(d, &nexp);
    /* Extra buffers (decrypted or reassembled data): each has bytes and a
     * name; out of range gives NULL, 0 and "". */
    nsources = rike_dissection_source_count(d);
    for (i = 0; i <= nsources; i++) {
        size_t slen = 12345;
        const uint8_t *sp = rike_dissection_source(d, i, &slen);
        const char *name = rike_dissection_source_name(d, i);
        CHECK(name != NULL);
        if (i == nsources) {
            CHECK(sp == NULL && slen == 0);
            CHECK(name && name[0] == '\0');
            continue;
        }
        CHECK(slen != 12345);
        CHECK(slen == 0 || sp != NULL);
        CHECK(name && name[0] != '\0');
        if (sp && slen) {
            /* Touch every byte so valgrind checks the whole buffer. */
            size_t k;
            unsigned sum = 0;
            for (k = 0; k < slen; k++) {
                sum += sp[k];
            }
            text_bytes += sum & 1;
        }
        if (name) {
            text_bytes += strlen(name);
        }
    }
    CHECK(nrec != 12345 && nexp != 12345);
    CHECK(nrec == 0 || rec != NULL);
    CHECK(nexp == 0 || exp != NULL);
    /* Anything given to the dissector shows at least one item. */
    CHECK(nrec >= 1);

    for (i = 0; i < nrec; i++) {
        const rike_record *r = &rec[i];
        if (i == 0) {
            CHECK(r->depth == 0);
        } else {
            CHECK(r->depth <= rec[i - 1].depth + 1);
        }
        CHECK(r->field < nfields);
        CHECK((r->flags & ~(uint32_t)(RIKE_RECORD_VALUE | RIKE_RECORD_TEXT)) == 0);
        CHECK((r->text != NULL) == ((r->flags & RIKE_RECORD_TEXT) != 0));
        if (r->text) {
            text_bytes += strlen(r->text);
        }
        /* Offsets refer to the dissected buffer (source 0) or to extra
         * buffer source - 1. */
        CHECK(r->source <= nsources);
        {
            size_t blen = len;
            if (r->source > 0 && r->source <= nsources) {
                (void)rike_dissection_source(d, r->source - 1, &blen);
            }
            if (!(r->flags & RIKE_RECORD_VALUE) && r->length > 0) {
                CHECK((uint64_t)r->offset + r->length <= blen);
            }
            CHECK(r->offset <= blen);
        }
        if (!(r->flags & RIKE_RECORD_VALUE) && r->field < nfields) {
            /* Items whose value comes from their bytes: the byte count
             * suits the type when the item is not cut short. */
            const rike_field_info *f = rike_field_get(r->field);
            if (f->kind == RIKE_FIELD_KIND_FRAME_NUM || f->kind == RIKE_FIELD_KIND_REL_TIME_NS) {
                CHECK(!"a frame number / time record without RIKE_RECORD_VALUE");
            }
        }
    }
    for (i = 0; i < nexp; i++) {
        const rike_expert_record *e = &exp[i];
        CHECK(e->expert < nexperts);
        CHECK(e->record < nrec);
        CHECK(e->offset <= len);
        CHECK(e->reserved == 0);
        CHECK(e->text != NULL);
        if (e->text) {
            text_bytes += strlen(e->text);
        }
    }
    if (experts == 0) {
        CHECK(nexp == 0);
    } else if (experts == 1) {
        CHECK(nexp > 0);
    }
    summary = rike_dissection_summary(d);
    CHECK(summary != NULL);
    if (summary) {
        text_bytes += strlen(summary);
    }
}

/* Dissects `len` bytes (a heap copy of exactly that size) statelessly and
 * through `cap` (when not NULL), checks both, frees both. */
static void dissect_and_check(rike_capture *cap, uint32_t frame, const uint8_t *bytes, size_t len,
                              uint32_t carrier, int experts) {
    buf_t b = buf_copy(bytes, len);
    rike_dissection *d = NULL;
    CHECK_RESULT(rike_dissect(b.p, b.len, carrier, &d), RIKE_RESULT_OK);
    check_dissection(d, b.len, experts);
    rike_dissection_free(d);
    if (cap) {
        rike_pdu_info info;
        memset(&info, 0, sizeof info);
        info.frame = frame;
        info.time_ns = 1000000000ull * frame;
        info.carrier = carrier;
        d = NULL;
        CHECK_RESULT(rike_capture_dissect(cap, &info, b.p, b.len, &d), RIKE_RESULT_OK);
        check_dissection(d, b.len, experts);
        rike_dissection_free(d);
    }
    buf_free(&b);
}

/* ---- tests ------------------------------------------------------------- */

/* The range table of a field: the value names first (same values, same
 * strings), then the named ranges, then the terminator. */
static void check_ranges(const rike_field_info *f) {
    size_t j;
    if (!f->ranges) {
        CHECK(f->ranges_len == 0);
        return;
    }
    CHECK(f->ranges_len > f->values_len);
    for (j = 0; j < f->ranges_len; j++) {
        const rike_range_name *r = &f->ranges[j];
        CHECK(r->name != NULL && r->name[0] != '\0');
        CHECK(r->min <= r->max);
        if (j < f->values_len) {
            CHECK(r->min == f->values[j].value && r->max == f->values[j].value);
            CHECK(r->name == f->values[j].name);
        }
        if (r->name) {
            text_bytes += strlen(r->name);
        }
    }
    CHECK(f->ranges[f->ranges_len].name == NULL);
    CHECK(f->ranges[f->ranges_len].min == 0 && f->ranges[f->ranges_len].max == 0);
}

static void test_catalogue(void) {
    size_t nf = rike_field_count(), ne = rike_expert_count(), i, j;
    SET_CONTEXT("catalogue");
    CHECK(nf > 100);
    CHECK(ne > 10);
    for (i = 0; i < nf; i++) {
        const rike_field_info *f = rike_field_get(i);
        SET_CONTEXT("field %zu", i);
        CHECK(f != NULL);
        if (!f) {
            continue;
        }
        CHECK(f == rike_field_get(i)); /* static: the same entry every time */
        CHECK(f->id == i);
        CHECK(f->abbrev != NULL && strncmp(f->abbrev, "rike.", 5) == 0 && strlen(f->abbrev) > 5);
        CHECK(f->name != NULL && f->name[0] != '\0');
        CHECK(f->kind <= RIKE_FIELD_KIND_REL_TIME_NS);
        CHECK(f->base <= RIKE_FIELD_BASE_HEX);
        if (f->values) {
            CHECK(f->values_len > 0);
            for (j = 0; j < f->values_len; j++) {
                CHECK(f->values[j].name != NULL);
                if (f->values[j].name) {
                    text_bytes += strlen(f->values[j].name);
                }
            }
            CHECK(f->values[f->values_len].name == NULL); /* the terminator */
            check_ranges(f);
        } else {
            CHECK(f->values_len == 0);
            CHECK(f->ranges == NULL && f->ranges_len == 0);
        }
        if (f->kind == RIKE_FIELD_KIND_BOOLEAN) {
            CHECK(f->bool_bits == 8 || f->bool_bits == 16 || f->bool_bits == 32 ||
                  f->bool_bits == 64);
        } else {
            CHECK(f->bool_bits == 0);
            CHECK(f->true_text == NULL && f->false_text == NULL);
        }
        CHECK((f->true_text == NULL) == (f->false_text == NULL));
        /* Fields may share a filter name (IKEv1 and IKEv2 variants), but
         * Wireshark refuses one name with incompatible types. */
        for (j = 0; j < i && f->abbrev; j++) {
            const rike_field_info *o = rike_field_get(j);
            if (o && o->abbrev && strcmp(o->abbrev, f->abbrev) == 0) {
                CHECK(o->kind == f->kind);
            }
        }
        if (f->true_text) {
            text_bytes += strlen(f->true_text) + strlen(f->false_text);
        }
    }
    for (i = 0; i < ne; i++) {
        const rike_expert_info *e = rike_expert_get(i);
        SET_CONTEXT("expert %zu", i);
        CHECK(e != NULL);
        if (!e) {
            continue;
        }
        CHECK(e == rike_expert_get(i));
        CHECK(e->id == i);
        CHECK(e->abbrev != NULL && strncmp(e->abbrev, "rike.", 5) == 0);
        CHECK(e->summary != NULL && e->summary[0] != '\0');
        CHECK(e->severity <= RIKE_SEVERITY_ERROR);
        CHECK(e->group <= RIKE_EXPERT_GROUP_REASSEMBLE);
        /* Wireshark refuses two expert infos with one name. */
        for (j = 0; j < i && e->abbrev; j++) {
            const rike_expert_info *o = rike_expert_get(j);
            CHECK(strcmp(o->abbrev, e->abbrev) != 0);
        }
    }
    SET_CONTEXT("catalogue out of range");
    CHECK(rike_field_get(nf) == NULL);
    CHECK(rike_field_get(nf + 1000) == NULL);
    CHECK(rike_field_get(SIZE_MAX) == NULL);
    CHECK(rike_expert_get(ne) == NULL);
    CHECK(rike_expert_get(SIZE_MAX) == NULL);
    /* Names the tests below rely on. */
    CHECK(field_id("rike.ispi") != SIZE_MAX);
    CHECK(expert_id("rike.retransmission") != SIZE_MAX);
    context[0] = '\0';
}

/* The name of `value` in a field's tables, first match as Wireshark's
 * range_string lookup does; NULL when none. */
static const char *value_name(const char *abbrev, uint64_t value) {
    size_t id = field_id(abbrev), j;
    const rike_field_info *f = rike_field_get(id);
    if (!f) {
        return NULL;
    }
    if (f->ranges) {
        for (j = 0; j < f->ranges_len; j++) {
            if (f->ranges[j].min <= value && value <= f->ranges[j].max) {
                return f->ranges[j].name;
            }
        }
        return NULL;
    }
    for (j = 0; j < f->values_len; j++) {
        if (f->values[j].value == value) {
            return f->values[j].name;
        }
    }
    return NULL;
}

static int str_eq(const char *a, const char *b) {
    return a && b && strcmp(a, b) == 0;
}

/* Expert groups and value ranges, by name. */
static void test_groups_and_ranges(void) {
    static const struct {
        const char *abbrev;
        uint32_t group;
        uint32_t severity;
    } want[] = {
        {"rike.malformed", RIKE_EXPERT_GROUP_MALFORMED, RIKE_SEVERITY_ERROR},
        {"rike.payloadlength.invalid", RIKE_EXPERT_GROUP_MALFORMED, RIKE_SEVERITY_ERROR},
        {"rike.critical.unknown", RIKE_EXPERT_GROUP_PROTOCOL, RIKE_SEVERITY_WARNING},
        {"rike.retransmission", RIKE_EXPERT_GROUP_SEQUENCE, RIKE_SEVERITY_NOTE},
        {"rike.encrypted", RIKE_EXPERT_GROUP_UNDECODED, RIKE_SEVERITY_NOTE},
        {"rike.short", RIKE_EXPERT_GROUP_UNDECODED, RIKE_SEVERITY_WARNING},
        {"rike.ikev2.integrity_checksum", RIKE_EXPERT_GROUP_DECRYPTION, RIKE_SEVERITY_ERROR},
        {"rike.decryption.failed", RIKE_EXPERT_GROUP_DECRYPTION, RIKE_SEVERITY_WARNING},
        {"rike.fragment.incomplete", RIKE_EXPERT_GROUP_REASSEMBLE, RIKE_SEVERITY_WARNING},
        {"rike.fragment_number.invalid", RIKE_EXPERT_GROUP_REASSEMBLE, RIKE_SEVERITY_ERROR},
    };
    size_t i, with_ranges = 0, n = rike_field_count();
    for (i = 0; i < sizeof want / sizeof want[0]; i++) {
        const rike_expert_info *e = rike_expert_get(expert_id(want[i].abbrev));
        SET_CONTEXT("expert %s", want[i].abbrev);
        CHECK(e != NULL);
        if (e) {
            CHECK(e->group == want[i].group);
            CHECK(e->severity == want[i].severity);
        }
    }
    SET_CONTEXT("value ranges");
    for (i = 0; i < n; i++) {
        with_ranges += rike_field_get(i)->ranges != NULL;
    }
    CHECK(with_ranges > 20);
    /* Names first, then ranges; values in no range have no name. */
    CHECK(str_eq(value_name("rike.exchangetype", 34), "IKE_SA_INIT"));
    CHECK(str_eq(value_name("rike.exchangetype", 190), "Unassigned"));
    CHECK(str_eq(value_name("rike.exchangetype", 250), "Private use"));
    CHECK(str_eq(value_name("rike.nextpayload", 145), "Private use"));
    CHECK(str_eq(value_name("rike.tf.id.encr", 20), "ENCR_AES_GCM_16"));
    CHECK(str_eq(value_name("rike.tf.id.encr", 26380), "Private use"));
    CHECK(str_eq(value_name("rike.enc.icd.status", 1), "Good"));
    CHECK(value_name("rike.enc.icd.status", 7) == NULL);
    CHECK(rike_field_get(field_id("rike.enc.icd.status"))->ranges == NULL);
    context[0] = '\0';
}

static void test_sa_init_request(void) {
    buf_t m = unhex(HEX_SA_INIT_REQ);
    rike_dissection *d = NULL;
    const rike_record *r, *rec;
    size_t n = 0, ispi = field_id("rike.ispi"), et = field_id("rike.exchangetype");
    SET_CONTEXT("IKE_SA_INIT request, plain");
    CHECK(m.len == 256);
    CHECK_RESULT(rike_dissect(m.p, m.len, RIKE_CARRIER_PLAIN, &d), RIKE_RESULT_OK);
    check_dissection(d, m.len, 0);
    rec = rike_dissection_records(d, &n);
    CHECK(n > 20);
    if (n > 0) {
        CHECK(rec[0].field == ispi);
        CHECK(rec[0].offset == 0 && rec[0].length == 8 && rec[0].depth == 0);
        CHECK(rec[0].flags == 0);
    }
    r = find_record(d, et, 0);
    CHECK(r != NULL);
    if (r) {
        CHECK(r->offset == 18 && r->length == 1 && r->depth == 0);
        CHECK(m.p[r->offset] == 34);
        if (r->flags & RIKE_RECORD_VALUE) {
            CHECK(r->value == 34);
        }
    }
    CHECK(strstr(rike_dissection_summary(d), "IKE_SA_INIT") != NULL);
    CHECK(strstr(rike_dissection_summary(d), "Request") != NULL);
    /* Same through a capture state. */
    rike_dissection_free(d);
    {
        rike_capture *cap = NULL;
        rike_pdu_info info;
        memset(&info, 0, sizeof info);
        info.frame = 1;
        info.carrier = RIKE_CARRIER_PLAIN;
        CHECK_RESULT(rike_capture_new(&cap), RIKE_RESULT_OK);
        CHECK(cap != NULL);
        d = NULL;
        CHECK_RESULT(rike_capture_dissect(cap, &info, m.p, m.len, &d), RIKE_RESULT_OK);
        check_dissection(d, m.len, 0);
        CHECK(strstr(rike_dissection_summary(d), "IKE_SA_INIT") != NULL);
        /* A dissection outlives its capture state. */
        rike_capture_free(cap);
        check_dissection(d, m.len, 0);
        /* Without a tree: the same summary, no records. */
        {
            rike_capture *lean = NULL;
            rike_dissection *s = NULL;
            size_t ns = 99;
            info.flags = RIKE_PDU_NO_TREE;
            CHECK_RESULT(rike_capture_new(&lean), RIKE_RESULT_OK);
            CHECK_RESULT(rike_capture_dissect(lean, &info, m.p, m.len, &s), RIKE_RESULT_OK);
            CHECK(s != NULL);
            if (s) {
                (void)rike_dissection_records(s, &ns);
                CHECK(ns == 0);
                CHECK(str_eq(rike_dissection_summary(s), rike_dissection_summary(d)));
            }
            rike_dissection_free(s);
            rike_capture_free(lean);
        }
        rike_dissection_free(d);
    }
    /* The heuristics accept it as a bare message only. */
    CHECK(rike_udp_heuristic(m.p, m.len, RIKE_CARRIER_PLAIN));
    CHECK(!rike_udp_heuristic(m.p, m.len, RIKE_CARRIER_UDP_ENCAP));
    CHECK(!rike_udp_heuristic(m.p, m.len - 1, RIKE_CARRIER_PLAIN));
    CHECK(!rike_tcp_heuristic(m.p, m.len));
    buf_free(&m);
    context[0] = '\0';
}

static void test_other_carriers(void) {
    size_t ispi = field_id("rike.ispi"), marker = field_id("rike.non_esp_marker");
    size_t keepalive = field_id("rike.nat_keepalive"), spi = field_id("rike.esp.spi");
    size_t prefix = field_id("rike.tcp.prefix"), tcplen = field_id("rike.tcp.length");
    rike_dissection *d;
    const rike_record *r;

    {
        buf_t m = unhex(HEX_NATT_IKE);
        SET_CONTEXT("UDP 4500 marker + IKE");
        d = NULL;
        CHECK_RESULT(rike_dissect(m.p, m.len, RIKE_CARRIER_UDP_ENCAP, &d), RIKE_RESULT_OK);
        check_dissection(d, m.len, 0);
        r = find_record(d, marker, 0);
        CHECK(r && r->offset == 0 && r->length == 4);
        r = find_record(d, ispi, 0);
        CHECK(r && r->offset == 4 && r->length == 8);
        CHECK(strstr(rike_dissection_summary(d), "IKE_AUTH") != NULL);
        {
            size_t at = 77;
            CHECK_RESULT(rike_dissection_esp_offset(d, &at), RIKE_RESULT_DONE);
            CHECK(at == 77);
        }
        rike_dissection_free(d);
        CHECK(rike_udp_heuristic(m.p, m.len, RIKE_CARRIER_UDP_ENCAP));
        CHECK(!rike_udp_heuristic(m.p, m.len, RIKE_CARRIER_PLAIN));
        buf_free(&m);
    }
    {
        buf_t m = unhex(HEX_V1_NATT);
        SET_CONTEXT("UDP 4500 marker + IKEv1");
        d = NULL;
        CHECK_RESULT(rike_dissect(m.p, m.len, RIKE_CARRIER_UDP_ENCAP, &d), RIKE_RESULT_OK);
        check_dissection(d, m.len, -1);
        CHECK(find_record(d, ispi, 0) != NULL);
        CHECK(strstr(rike_dissection_summary(d), "Main Mode") != NULL ||
              strstr(rike_dissection_summary(d), "Identity Protection") != NULL);
        rike_dissection_free(d);
        CHECK(rike_udp_heuristic(m.p, m.len, RIKE_CARRIER_UDP_ENCAP));
        buf_free(&m);
    }
    {
        buf_t m = unhex(HEX_NATT_KEEPALIVE);
        SET_CONTEXT("NAT-keepalive");
        d = NULL;
        CHECK_RESULT(rike_dissect(m.p, m.len, RIKE_CARRIER_UDP_ENCAP, &d), RIKE_RESULT_OK);
        check_dissection(d, m.len, 0);
        r = find_record(d, keepalive, 0);
        CHECK(r && r->offset == 0 && r->length == 1);
        rike_dissection_free(d);
        CHECK(!rike_udp_heuristic(m.p, m.len, RIKE_CARRIER_UDP_ENCAP));
        buf_free(&m);
    }
    {
        buf_t m = unhex(HEX_NATT_ESP);
        SET_CONTEXT("ESP in UDP");
        d = NULL;
        CHECK_RESULT(rike_dissect(m.p, m.len, RIKE_CARRIER_UDP_ENCAP, &d), RIKE_RESULT_OK);
        check_dissection(d, m.len, 0);
        r = find_record(d, spi, 0);
        CHECK(r && r->offset == 0 && r->length == 4);
        CHECK(find_record(d, ispi, 0) == NULL);
        {
            size_t at = 77;
            CHECK_RESULT(rike_dissection_esp_offset(d, &at), RIKE_RESULT_OK);
            CHECK(at == 0);
        }
        rike_dissection_free(d);
        CHECK(!rike_udp_heuristic(m.p, m.len, RIKE_CARRIER_UDP_ENCAP));
        buf_free(&m);
    }
    {
        buf_t s = unhex(HEX_TCP_STREAM_START);
        size_t pdu = 0;
        SET_CONTEXT("RFC 8229 stream start");
        CHECK(rike_tcp_heuristic(s.p, s.len));
        /* The stream splits into the 6-octet prefix and one frame. */
        CHECK_RESULT(rike_tcp_pdu_length(s.p, s.len, &pdu), RIKE_RESULT_OK);
        CHECK(pdu == 6);
        CHECK(rike_tcp_pdu_carrier(s.p, 6) == RIKE_CARRIER_TCP_PREFIX);
        d = NULL;
        CHECK_RESULT(rike_dissect(s.p, 6, RIKE_CARRIER_TCP_PREFIX, &d), RIKE_RESULT_OK);
        check_dissection(d, 6, 0);
        r = find_record(d, prefix, 0);
        CHECK(r && r->offset == 0 && r->length == 6);
        rike_dissection_free(d);
        pdu = 0;
        CHECK_RESULT(rike_tcp_pdu_length(s.p + 6, s.len - 6, &pdu), RIKE_RESULT_OK);
        CHECK(pdu == s.len - 6);
        CHECK(rike_tcp_pdu_carrier(s.p + 6, s.len - 6) == RIKE_CARRIER_TCP_FRAME);
        CHECK(rike_tcp_heuristic(s.p + 6, s.len - 6));
        d = NULL;
        CHECK_RESULT(rike_dissect(s.p + 6, s.len - 6, RIKE_CARRIER_TCP_FRAME, &d),
                     RIKE_RESULT_OK);
        check_dissection(d, s.len - 6, 0);
        r = find_record(d, tcplen, 0);
        CHECK(r && r->offset == 0 && r->length == 2);
        r = find_record(d, ispi, 0);
        CHECK(r && r->offset == 6 && r->length == 8);
        CHECK(strstr(rike_dissection_summary(d), "IKE_SA_INIT") != NULL);
        rike_dissection_free(d);
        buf_free(&s);
    }
    {
        buf_t m = unhex(HEX_TCP_FRAME);
        size_t pdu = 0;
        SET_CONTEXT("RFC 8229 frame");
        CHECK_RESULT(rike_tcp_pdu_length(m.p, m.len, &pdu), RIKE_RESULT_OK);
        CHECK(pdu == m.len);
        CHECK(rike_tcp_heuristic(m.p, m.len));
        d = NULL;
        CHECK_RESULT(rike_dissect(m.p, m.len, RIKE_CARRIER_TCP_FRAME, &d), RIKE_RESULT_OK);
        check_dissection(d, m.len, 0);
        CHECK(strstr(rike_dissection_summary(d), "IKE_SA_INIT") != NULL);
        rike_dissection_free(d);
        buf_free(&m);
    }
    context[0] = '\0';
}

/* Dissects frames 1 (request) and 2 (response) of ikev2four.pcap through
 * `cap` with `flags`; writes the frame numbers the links point to (0 when
 * absent). */
static void two_frames(rike_capture *cap, uint32_t flags, const buf_t *req, const buf_t *resp,
                       uint64_t *response_in, uint64_t *response_to, uint64_t *response_time) {
    size_t f_in = field_id("rike.response_in"), f_to = field_id("rike.response_to");
    size_t f_time = field_id("rike.response_time");
    rike_pdu_info info;
    rike_dissection *d = NULL;
    const rike_record *r;

    *response_in = *response_to = *response_time = 0;
    memset(&info, 0, sizeof info);
    info.flags = flags;
    info.carrier = RIKE_CARRIER_PLAIN;

    info.frame = 1;
    info.time_ns = 1000000000ull;
    CHECK_RESULT(rike_capture_dissect(cap, &info, req->p, req->len, &d), RIKE_RESULT_OK);
    check_dissection(d, req->len, -1);
    CHECK(find_record(d, f_to, 0) == NULL);
    r = find_record(d, f_in, 0);
    if (r) {
        CHECK(r->flags & RIKE_RECORD_VALUE);
        CHECK(r->length == 0);
        *response_in = r->value;
    }
    rike_dissection_free(d);

    info.frame = 2;
    info.time_ns = 1003731000ull;
    d = NULL;
    CHECK_RESULT(rike_capture_dissect(cap, &info, resp->p, resp->len, &d), RIKE_RESULT_OK);
    check_dissection(d, resp->len, -1);
    CHECK(find_record(d, f_in, 0) == NULL);
    r = find_record(d, f_to, 0);
    if (r) {
        CHECK(r->flags & RIKE_RECORD_VALUE);
        *response_to = r->value;
    }
    r = find_record(d, f_time, 0);
    if (r) {
        CHECK(r->flags & RIKE_RECORD_VALUE);
        *response_time = r->value;
    }
    rike_dissection_free(d);
}

static void test_two_pass_and_reset(void) {
    buf_t req = unhex(HEX_FOUR_F1), resp = unhex(HEX_FOUR_F2);
    rike_capture *cap = NULL;
    uint64_t in, to, time;
    size_t retrans_of = field_id("rike.retransmission_of");
    size_t retrans = expert_id("rike.retransmission");

    CHECK_RESULT(rike_capture_new(&cap), RIKE_RESULT_OK);
    CHECK(cap != NULL);

    SET_CONTEXT("two-pass: first pass");
    two_frames(cap, 0, &req, &resp, &in, &to, &time);
    CHECK(in == 0); /* the response is not known yet */
    CHECK(to == 1);
    CHECK(time == 3731000);

    SET_CONTEXT("two-pass: second pass (RIKE_PDU_VISITED)");
    two_frames(cap, RIKE_PDU_VISITED, &req, &resp, &in, &to, &time);
    CHECK(in == 2);
    CHECK(to == 1);
    CHECK(time == 3731000);
    /* Visiting again changes nothing. */
    two_frames(cap, RIKE_PDU_VISITED, &req, &resp, &in, &to, &time);
    CHECK(in == 2 && to == 1);

    SET_CONTEXT("retransmission");
    {
        rike_pdu_info info;
        rike_dissection *d = NULL;
        const rike_record *r;
        memset(&info, 0, sizeof info);
        info.frame = 3;
        info.time_ns = 2000000000ull;
        info.carrier = RIKE_CARRIER_PLAIN;
        CHECK_RESULT(rike_capture_dissect(cap, &info, req.p, req.len, &d), RIKE_RESULT_OK);
        check_dissection(d, req.len, 1);
        r = find_record(d, retrans_of, 0);
        CHECK(r != NULL && (r->flags & RIKE_RECORD_VALUE) && r->value == 1);
        CHECK(has_expert(d, retrans));
        rike_dissection_free(d);
    }

    SET_CONTEXT("after rike_capture_reset");
    CHECK_RESULT(rike_capture_reset(cap), RIKE_RESULT_OK);
    /* The state forgot everything: no link from before the reset. */
    two_frames(cap, RIKE_PDU_VISITED, &req, &resp, &in, &to, &time);
    CHECK(in == 0 && to == 0 && time == 0);
    /* ...and works as new. */
    two_frames(cap, 0, &req, &resp, &in, &to, &time);
    CHECK(in == 0 && to == 1);
    two_frames(cap, RIKE_PDU_VISITED, &req, &resp, &in, &to, &time);
    CHECK(in == 2 && to == 1);
    /* Reset twice in a row, then once more on an empty state. */
    CHECK_RESULT(rike_capture_reset(cap), RIKE_RESULT_OK);
    CHECK_RESULT(rike_capture_reset(cap), RIKE_RESULT_OK);
    two_frames(cap, RIKE_PDU_VISITED, &req, &resp, &in, &to, &time);
    CHECK(in == 0 && to == 0);

    /* A stateless dissection never links. */
    SET_CONTEXT("stateless");
    {
        rike_dissection *d = NULL;
        CHECK_RESULT(rike_dissect(resp.p, resp.len, RIKE_CARRIER_PLAIN, &d), RIKE_RESULT_OK);
        CHECK(find_record(d, field_id("rike.response_to"), 0) == NULL);
        rike_dissection_free(d);
    }

    rike_capture_free(cap);
    buf_free(&req);
    buf_free(&resp);
    context[0] = '\0';
}

static void test_null_parameters(void) {
    static uint8_t sentinel_storage;
    rike_dissection *const sentinel = (rike_dissection *)(void *)&sentinel_storage;
    buf_t m = unhex(HEX_SA_INIT_REQ);
    rike_capture *cap = NULL;
    rike_dissection *d = NULL, *out;
    rike_pdu_info info;
    size_t n;

    SET_CONTEXT("NULL parameters");
    memset(&info, 0, sizeof info);
    info.frame = 1;
    info.carrier = RIKE_CARRIER_PLAIN;

    CHECK_RESULT(rike_capture_new(NULL), RIKE_RESULT_NULL_PARAMETER);
    CHECK_RESULT(rike_capture_reset(NULL), RIKE_RESULT_NULL_PARAMETER);
    rike_capture_free(NULL);
    rike_dissection_free(NULL);

    CHECK_RESULT(rike_capture_new(&cap), RIKE_RESULT_OK);
    /* Out-parameters are left alone when the call fails. */
    out = sentinel;
    CHECK_RESULT(rike_capture_dissect(NULL, &info, m.p, m.len, &out), RIKE_RESULT_NULL_PARAMETER);
    CHECK(out == sentinel);
    CHECK_RESULT(rike_capture_dissect(cap, NULL, m.p, m.len, &out), RIKE_RESULT_NULL_PARAMETER);
    CHECK(out == sentinel);
    CHECK_RESULT(rike_capture_dissect(cap, &info, NULL, m.len, &out), RIKE_RESULT_NULL_PARAMETER);
    CHECK(out == sentinel);
    CHECK_RESULT(rike_capture_dissect(cap, &info, m.p, m.len, NULL), RIKE_RESULT_NULL_PARAMETER);
    CHECK_RESULT(rike_capture_dissect(NULL, NULL, NULL, 0, NULL), RIKE_RESULT_NULL_PARAMETER);

    CHECK_RESULT(rike_dissect(NULL, m.len, RIKE_CARRIER_PLAIN, &out), RIKE_RESULT_NULL_PARAMETER);
    CHECK(out == sentinel);
    CHECK_RESULT(rike_dissect(m.p, m.len, RIKE_CARRIER_PLAIN, NULL), RIKE_RESULT_NULL_PARAMETER);
    CHECK_RESULT(rike_dissect(NULL, 0, RIKE_CARRIER_PLAIN, NULL), RIKE_RESULT_NULL_PARAMETER);

    /* Accessors: NULL and a zero count. */
    n = 77;
    CHECK(rike_dissection_records(NULL, &n) == NULL);
    CHECK(n == 0);
    n = 77;
    CHECK(rike_dissection_experts(NULL, &n) == NULL);
    CHECK(n == 0);
    CHECK(rike_dissection_records(NULL, NULL) == NULL);
    CHECK(rike_dissection_experts(NULL, NULL) == NULL);
    CHECK(rike_dissection_summary(NULL) != NULL && rike_dissection_summary(NULL)[0] == '\0');
    CHECK_RESULT(rike_dissect(m.p, m.len, RIKE_CARRIER_PLAIN, &d), RIKE_RESULT_OK);
    CHECK(rike_dissection_records(d, NULL) == NULL);
    CHECK(rike_dissection_experts(d, NULL) == NULL);
    rike_dissection_free(d);

    /* New accessors and state functions. */
    n = 77;
    CHECK_RESULT(rike_dissection_esp_offset(NULL, &n), RIKE_RESULT_NULL_PARAMETER);
    CHECK(n == 77);
    CHECK_RESULT(rike_dissect(m.p, m.len, RIKE_CARRIER_PLAIN, &d), RIKE_RESULT_OK);
    CHECK_RESULT(rike_dissection_esp_offset(d, NULL), RIKE_RESULT_NULL_PARAMETER);
    rike_dissection_free(d);
    CHECK_RESULT(rike_dissection_esp_offset(NULL, NULL), RIKE_RESULT_NULL_PARAMETER);
    CHECK_RESULT(rike_capture_clear_keys(NULL), RIKE_RESULT_NULL_PARAMETER);

    /* TCP helpers. */
    n = 77;
    CHECK_RESULT(rike_tcp_pdu_length(NULL, 10, &n), RIKE_RESULT_NULL_PARAMETER);
    CHECK(n == 77);
    CHECK_RESULT(rike_tcp_pdu_length(m.p, m.len, NULL), RIKE_RESULT_NULL_PARAMETER);
    CHECK_RESULT(rike_tcp_pdu_length(NULL, 0, &n), RIKE_RESULT_NULL_PARAMETER);
    CHECK(n == 77);
    CHECK(rike_tcp_pdu_carrier(NULL, 0) == RIKE_CARRIER_TCP_FRAME);
    CHECK(rike_tcp_pdu_carrier(NULL, 6) == RIKE_CARRIER_TCP_FRAME);
    CHECK(!rike_tcp_heuristic(NULL, 0));
    CHECK(!rike_tcp_heuristic(NULL, 100));
    CHECK(!rike_udp_heuristic(NULL, 0, RIKE_CARRIER_PLAIN));
    CHECK(!rike_udp_heuristic(NULL, 100, RIKE_CARRIER_PLAIN));
    CHECK(!rike_udp_heuristic(NULL, 100, RIKE_CARRIER_UDP_ENCAP));

    /* The capture still works after all that. */
    d = NULL;
    CHECK_RESULT(rike_capture_dissect(cap, &info, m.p, m.len, &d), RIKE_RESULT_OK);
    check_dissection(d, m.len, 0);
    rike_dissection_free(d);
    rike_capture_free(cap);
    buf_free(&m);
    context[0] = '\0';
}

static void test_zero_length(void) {
    static const uint32_t carriers[] = {RIKE_CARRIER_PLAIN, RIKE_CARRIER_UDP_ENCAP,
                                        RIKE_CARRIER_TCP_FRAME, RIKE_CARRIER_TCP_PREFIX};
    rike_capture *cap = NULL;
    uint8_t one = 0;
    size_t i, n;
    CHECK_RESULT(rike_capture_new(&cap), RIKE_RESULT_OK);
    for (i = 0; i < sizeof carriers / sizeof carriers[0]; i++) {
        rike_dissection *d = NULL;
        rike_pdu_info info;
        SET_CONTEXT("zero length, carrier %u", (unsigned)carriers[i]);
        /* NULL with length 0 is allowed, and so is a real pointer. */
        CHECK_RESULT(rike_dissect(NULL, 0, carriers[i], &d), RIKE_RESULT_OK);
        check_dissection(d, 0, 1);
        rike_dissection_free(d);
        d = NULL;
        CHECK_RESULT(rike_dissect(&one, 0, carriers[i], &d), RIKE_RESULT_OK);
        check_dissection(d, 0, 1);
        rike_dissection_free(d);
        memset(&info, 0, sizeof info);
        info.frame = (uint32_t)i + 1;
        info.carrier = carriers[i];
        d = NULL;
        CHECK_RESULT(rike_capture_dissect(cap, &info, NULL, 0, &d), RIKE_RESULT_OK);
        check_dissection(d, 0, 1);
        rike_dissection_free(d);
    }
    SET_CONTEXT("zero length helpers");
    n = 77;
    CHECK_RESULT(rike_tcp_pdu_length(&one, 0, &n), RIKE_RESULT_TRUNCATED);
    CHECK(n == 77);
    CHECK(rike_tcp_pdu_carrier(&one, 0) == RIKE_CARRIER_TCP_FRAME);
    CHECK(!rike_tcp_heuristic(&one, 0));
    CHECK(!rike_udp_heuristic(&one, 0, RIKE_CARRIER_PLAIN));
    CHECK(!rike_udp_heuristic(&one, 0, RIKE_CARRIER_UDP_ENCAP));
    rike_capture_free(cap);
    context[0] = '\0';
}

static void test_invalid_parameters(void) {
    static uint8_t sentinel_storage;
    rike_dissection *const sentinel = (rike_dissection *)(void *)&sentinel_storage;
    static const uint32_t bad_carriers[] = {4, 99, 0x80000000u, 0xFFFFFFFFu};
    buf_t m = unhex(HEX_SA_INIT_REQ);
    rike_capture *cap = NULL;
    rike_dissection *out, *d;
    rike_pdu_info info;
    size_t i;

    CHECK_RESULT(rike_capture_new(&cap), RIKE_RESULT_OK);
    for (i = 0; i < sizeof bad_carriers / sizeof bad_carriers[0]; i++) {
        SET_CONTEXT("invalid carrier %u", (unsigned)bad_carriers[i]);
        out = sentinel;
        CHECK_RESULT(rike_dissect(m.p, m.len, bad_carriers[i], &out),
                     RIKE_RESULT_INVALID_PARAMETER);
        CHECK(out == sentinel);
        CHECK_RESULT(rike_dissect(NULL, 0, bad_carriers[i], &out), RIKE_RESULT_INVALID_PARAMETER);
        CHECK(out == sentinel);
        memset(&info, 0, sizeof info);
        info.frame = 1;
        info.carrier = bad_carriers[i];
        CHECK_RESULT(rike_capture_dissect(cap, &info, m.p, m.len, &out),
                     RIKE_RESULT_INVALID_PARAMETER);
        CHECK(out == sentinel);
        CHECK(!rike_udp_heuristic(m.p, m.len, bad_carriers[i]));
    }
    SET_CONTEXT("reported length below the buffer's");
    memset(&info, 0, sizeof info);
    info.frame = 1;
    info.carrier = RIKE_CARRIER_PLAIN;
    info.reported_len = 1;
    out = sentinel;
    CHECK_RESULT(rike_capture_dissect(cap, &info, m.p, m.len, &out),
                 RIKE_RESULT_INVALID_PARAMETER);
    CHECK(out == sentinel);
    info.reported_len = (uint32_t)m.len - 1;
    CHECK_RESULT(rike_capture_dissect(cap, &info, m.p, m.len, &out),
                 RIKE_RESULT_INVALID_PARAMETER);
    CHECK(out == sentinel);
    /* Equal to the buffer, or far beyond it: valid. */
    info.reported_len = (uint32_t)m.len;
    d = NULL;
    CHECK_RESULT(rike_capture_dissect(cap, &info, m.p, m.len, &d), RIKE_RESULT_OK);
    check_dissection(d, m.len, 0);
    rike_dissection_free(d);
    info.reported_len = 0xFFFFFFFFu;
    d = NULL;
    CHECK_RESULT(rike_capture_dissect(cap, &info, m.p, m.len, &d), RIKE_RESULT_OK);
    check_dissection(d, m.len, -1);
    rike_dissection_free(d);
    /* Unknown flag bits (above VISITED and NO_TREE) are ignored (room to grow), frame 0 is accepted. */
    SET_CONTEXT("unknown flags");
    info.reported_len = 0;
    info.flags = 0xFFFFFFFCu;
    info.frame = 0;
    d = NULL;
    CHECK_RESULT(rike_capture_dissect(cap, &info, m.p, m.len, &d), RIKE_RESULT_OK);
    check_dissection(d, m.len, -1);
    rike_dissection_free(d);
    /* Result strings of the codes seen here. */
    CHECK(strcmp(rike_result_str(RIKE_RESULT_INVALID_PARAMETER), "unknown result") != 0);
    CHECK(strcmp(rike_result_str(RIKE_RESULT_NULL_PARAMETER), "unknown result") != 0);
    rike_capture_free(cap);
    buf_free(&m);
    context[0] = '\0';
}

static void test_tcp_pdu_length(void) {
    static const uint8_t prefix[] = {'I', 'K', 'E', 'T', 'C', 'P'};
    static const uint8_t prefix_more[] = {'I', 'K', 'E', 'T', 'C', 'P', 0x01, 0xb2, 0, 0};
    static const uint8_t short_len[] = {0x00, 0x05, 0, 0, 0, 0, 0, 0};
    static const uint8_t zero_len[] = {0x00, 0x00, 0, 0, 0, 0};
    static const uint8_t six[] = {0x00, 0x06, 0, 0, 0, 0};
    static const uint8_t big[] = {0xff, 0xff, 0, 0, 0, 0};
    static const uint8_t frame_hdr[] = {0x01, 0xba, 0, 0, 0, 0};
    size_t n, k;

    SET_CONTEXT("rike_tcp_pdu_length");
    for (k = 0; k < 6; k++) {
        buf_t b = buf_copy(prefix, k);
        n = 77;
        CHECK_RESULT(rike_tcp_pdu_length(b.p, b.len, &n), RIKE_RESULT_TRUNCATED);
        CHECK(n == 77);
        buf_free(&b);
        b = buf_copy(frame_hdr, k);
        CHECK_RESULT(rike_tcp_pdu_length(b.p, b.len, &n), RIKE_RESULT_TRUNCATED);
        CHECK(n == 77);
        buf_free(&b);
    }
#define PDU_LEN(arr, want_result, want_len)                                          \
    do {                                                                             \
        buf_t b_ = buf_copy(arr, sizeof arr);                                        \
        n = 77;                                                                      \
        CHECK_RESULT(rike_tcp_pdu_length(b_.p, b_.len, &n), want_result);            \
        CHECK(n == (want_len));                                                      \
        buf_free(&b_);                                                               \
    } while (0)
    PDU_LEN(prefix, RIKE_RESULT_OK, 6);
    PDU_LEN(prefix_more, RIKE_RESULT_OK, 6);
    PDU_LEN(short_len, RIKE_RESULT_MALFORMED, 77);
    PDU_LEN(zero_len, RIKE_RESULT_MALFORMED, 77);
    PDU_LEN(six, RIKE_RESULT_OK, 6);
    PDU_LEN(big, RIKE_RESULT_OK, 65535);
    PDU_LEN(frame_hdr, RIKE_RESULT_OK, 0x01ba);
#undef PDU_LEN
    CHECK(rike_tcp_pdu_carrier(prefix, sizeof prefix) == RIKE_CARRIER_TCP_PREFIX);
    CHECK(rike_tcp_pdu_carrier(prefix_more, sizeof prefix_more) == RIKE_CARRIER_TCP_FRAME);
    CHECK(rike_tcp_pdu_carrier(prefix, 5) == RIKE_CARRIER_TCP_FRAME);
    CHECK(rike_tcp_heuristic(prefix, sizeof prefix));
    CHECK(!rike_tcp_heuristic(prefix, 5));
    CHECK(!rike_tcp_heuristic(short_len, sizeof short_len));
    context[0] = '\0';
}

/* Every prefix of a valid message (lengths 0..n) dissects with OK, records
 * in bounds, and experts exactly when cut short. */
static void truncations(const char *name, const char *hex, uint32_t carrier, size_t from) {
    buf_t m = unhex(hex);
    rike_capture *cap = NULL;
    size_t k;
    CHECK_RESULT(rike_capture_new(&cap), RIKE_RESULT_OK);
    for (k = from; k <= m.len; k++) {
        SET_CONTEXT("%s truncated to %zu of %zu bytes", name, k, m.len);
        dissect_and_check(cap, (uint32_t)(k + 1), m.p, k, carrier, k < m.len ? 1 : 0);
    }
    rike_capture_free(cap);
    buf_free(&m);
    context[0] = '\0';
}

static void test_truncations(void) {
    truncations("IKE_SA_INIT request", HEX_SA_INIT_REQ, RIKE_CARRIER_PLAIN, 0);
    truncations("ikev2four frame 1", HEX_FOUR_F1, RIKE_CARRIER_PLAIN, 0);
    truncations("ikev2four frame 2", HEX_FOUR_F2, RIKE_CARRIER_PLAIN, 0);
    truncations("UDP 4500 IKEv2", HEX_NATT_IKE, RIKE_CARRIER_UDP_ENCAP, 0);
    truncations("UDP 4500 IKEv1", HEX_V1_NATT, RIKE_CARRIER_UDP_ENCAP, 0);
    truncations("RFC 8229 frame", HEX_TCP_FRAME, RIKE_CARRIER_TCP_FRAME, 0);
    /* The stream prefix: anything but the 6 octets "IKETCP" is malformed. */
    truncations("RFC 8229 prefix", "494b45544350", RIKE_CARRIER_TCP_PREFIX, 0);
    SET_CONTEXT("RFC 8229 prefix carrier, wrong bytes");
    {
        static const uint8_t wrong[] = {'I', 'K', 'E', 'T', 'C', 'Q'};
        dissect_and_check(NULL, 0, wrong, sizeof wrong, RIKE_CARRIER_TCP_PREFIX, 1);
    }
    context[0] = '\0';
}

/* 64 KiB of random bytes under every carrier, whole and in slices; then
 * valid messages with random bytes overwritten; then a valid header that
 * announces a 64 KiB message followed by random payloads. */
static void test_random(void) {
    static const uint32_t carriers[] = {RIKE_CARRIER_PLAIN, RIKE_CARRIER_UDP_ENCAP,
                                        RIKE_CARRIER_TCP_FRAME, RIKE_CARRIER_TCP_PREFIX};
    static const char *const valid[] = {HEX_SA_INIT_REQ, HEX_FOUR_F1,  HEX_FOUR_F2,
                                        HEX_NATT_IKE,    HEX_V1_NATT,  HEX_TCP_FRAME,
                                        HEX_NATT_ESP,    HEX_TCP_STREAM_START};
    static const uint32_t valid_carrier[] = {
        RIKE_CARRIER_PLAIN,     RIKE_CARRIER_PLAIN,     RIKE_CARRIER_PLAIN,
        RIKE_CARRIER_UDP_ENCAP, RIKE_CARRIER_UDP_ENCAP, RIKE_CARRIER_TCP_FRAME,
        RIKE_CARRIER_UDP_ENCAP, RIKE_CARRIER_TCP_FRAME};
    const size_t big = 64 * 1024;
    uint8_t *rnd = (uint8_t *)malloc(big);
    rike_capture *cap = NULL;
    size_t c, i, pos, frames = 0;

    if (!rnd) {
        exit(2);
    }
    rng_fill(rnd, big);
    CHECK_RESULT(rike_capture_new(&cap), RIKE_RESULT_OK);

    for (c = 0; c < sizeof carriers / sizeof carriers[0]; c++) {
        SET_CONTEXT("64 KiB random, carrier %u", (unsigned)carriers[c]);
        dissect_and_check(cap, (uint32_t)++frames, rnd, big, carriers[c], -1);
        /* Random slices of random length. */
        for (i = 0; i < 200; i++) {
            size_t len = (size_t)(rng() % 600), off = (size_t)(rng() % (big - len));
            SET_CONTEXT("random slice [%zu, +%zu), carrier %u", off, len, (unsigned)carriers[c]);
            dissect_and_check(cap, (uint32_t)++frames, rnd + off, len, carriers[c], -1);
        }
        (void)rike_udp_heuristic(rnd, big, carriers[c]);
    }
    (void)rike_tcp_heuristic(rnd, big);
    (void)rike_tcp_pdu_carrier(rnd, big);

    /* Follow the random bytes as an RFC 8229 stream. */
    SET_CONTEXT("random TCP stream");
    for (pos = 0; pos < big;) {
        size_t n = 0;
        rike_result r = rike_tcp_pdu_length(rnd + pos, big - pos, &n);
        if (r != RIKE_RESULT_OK) {
            CHECK(r == RIKE_RESULT_MALFORMED || r == RIKE_RESULT_TRUNCATED);
            break;
        }
        CHECK(n >= 6);
        if (n > big - pos) {
            break;
        }
        dissect_and_check(cap, (uint32_t)++frames, rnd + pos, n,
                          rike_tcp_pdu_carrier(rnd + pos, n), -1);
        pos += n;
    }

    /* Valid messages with a few random bytes changed. */
    for (i = 0; i < sizeof valid / sizeof valid[0]; i++) {
        buf_t m = unhex(valid[i]);
        size_t iter;
        for (iter = 0; iter < 300; iter++) {
            buf_t x = buf_copy(m.p, m.len);
            size_t flips = 1 + (size_t)(rng() % 8), f;
            for (f = 0; f < flips; f++) {
                x.p[rng() % x.len] = (uint8_t)(rng() >> 56);
            }
            SET_CONTEXT("mutated message %zu, iteration %zu", i, iter);
            dissect_and_check(cap, (uint32_t)++frames, x.p, x.len, valid_carrier[i], -1);
            buf_free(&x);
        }
        buf_free(&m);
    }

    /* A valid IKEv2 header announcing the whole 64 KiB, then random
     * payloads: the walker follows random payload chains. */
    for (i = 0; i < 8; i++) {
        buf_t m = unhex(HEX_SA_INIT_REQ);
        uint8_t *x = (uint8_t *)malloc(big);
        if (!x) {
            exit(2);
        }
        rng_fill(x, big);
        memcpy(x, m.p, 28);
        x[16] = (uint8_t)(i < 4 ? 33 + i : 1 + i); /* first payload type */
        x[17] = (uint8_t)(i & 1 ? 0x10 : 0x20);    /* IKEv1 or IKEv2 */
        x[24] = 0;
        x[25] = 1;
        x[26] = 0;
        x[27] = 0; /* length 65536 */
        SET_CONTEXT("64 KiB message with random payloads, round %zu", i);
        dissect_and_check(cap, (uint32_t)++frames, x, big, RIKE_CARRIER_PLAIN, -1);
        free(x);
        buf_free(&m);
    }

    /* The capture state keeps working for a second (visited) pass over
     * frames it learnt from random data. */
    SET_CONTEXT("visited pass after random input");
    {
        rike_pdu_info info;
        rike_dissection *d = NULL;
        memset(&info, 0, sizeof info);
        info.frame = 1;
        info.flags = RIKE_PDU_VISITED;
        info.carrier = RIKE_CARRIER_PLAIN;
        CHECK_RESULT(rike_capture_dissect(cap, &info, rnd, big, &d), RIKE_RESULT_OK);
        check_dissection(d, big, -1);
        rike_dissection_free(d);
    }
    CHECK_RESULT(rike_capture_reset(cap), RIKE_RESULT_OK);
    rike_capture_free(cap);
    free(rnd);
    context[0] = '\0';
}

/* The IKEv2 keys of tests/data/crafted/ikev2-natt-4500.pcap (Wireshark
 * ikev2_decryption_table format), as tests/data/crafted/ikev2_decryption_table. */
static const char KEYS_NATT[] =
    "a1a2a3a4a5a6a7a8,b1b2b3b4b5b6b7b8,000102030405060708090a0b0c0d0e0f,"
    "101112131415161718191a1b1c1d1e1f,\"AES-CBC-128 [RFC3602]\","
    "2021222324252627282930313233343536373839,4041424344454647484950515253545556575859,"
    "\"HMAC_SHA1_96 [RFC2404]\"\n";

/* Decryption keys and the extra buffers of decrypted data: normal use,
 * misuse, and decryption of damaged ciphertext. Paths are relative to the
 * repository root, where tests/c/run.sh runs the programs. */
static void test_keys_and_sources(void) {
    buf_t m = unhex(HEX_NATT_IKE);
    rike_capture *cap = NULL;
    rike_dissection *d = NULL;
    rike_pdu_info info;
    size_t skipped, n, i, dec = field_id("rike.enc.decrypted");
    const rike_record *r;

    SET_CONTEXT("keys: misuse");
    CHECK_RESULT(rike_capture_new(&cap), RIKE_RESULT_OK);
    CHECK(rike_capture_key_count(NULL) == 0);
    CHECK(rike_capture_key_count(cap) == 0);
    skipped = 77;
    CHECK_RESULT(rike_capture_load_keys(NULL, "tests/data/crafted/ikev2_decryption_table", &skipped),
                 RIKE_RESULT_NULL_PARAMETER);
    CHECK_RESULT(rike_capture_load_keys(cap, NULL, &skipped), RIKE_RESULT_NULL_PARAMETER);
    CHECK_RESULT(rike_capture_load_keys(cap, "/nonexistent/rike-keys", &skipped),
                 RIKE_RESULT_INVALID_PARAMETER);
    CHECK_RESULT(rike_capture_load_keys(cap, "\xff\xfe-not-utf8", NULL),
                 RIKE_RESULT_INVALID_PARAMETER);
    CHECK_RESULT(rike_capture_load_keys(cap, "", NULL), RIKE_RESULT_INVALID_PARAMETER);
    CHECK(skipped == 77);
    CHECK_RESULT(rike_capture_add_keys(NULL, KEYS_NATT, strlen(KEYS_NATT), &skipped),
                 RIKE_RESULT_NULL_PARAMETER);
    CHECK_RESULT(rike_capture_add_keys(cap, NULL, 5, &skipped), RIKE_RESULT_NULL_PARAMETER);
    CHECK(skipped == 77);
    CHECK_RESULT(rike_capture_add_keys(cap, NULL, 0, &skipped), RIKE_RESULT_OK);
    CHECK(skipped == 0);
    CHECK_RESULT(rike_capture_add_keys(cap, "\xff\xfe\n", 3, NULL), RIKE_RESULT_INVALID_PARAMETER);
    skipped = 0;
    CHECK_RESULT(rike_capture_add_keys(cap, "not,a,key\nikev2 X 00 11\n", 24, &skipped),
                 RIKE_RESULT_OK);
    CHECK(skipped >= 1);
    CHECK(rike_capture_key_count(cap) == 0);
    /* 64 KiB of random printable text with commas and newlines. */
    {
        const size_t big = 64 * 1024;
        char *t = (char *)malloc(big);
        if (!t) {
            exit(2);
        }
        for (i = 0; i < big; i++) {
            uint64_t x = rng() >> 56;
            t[i] = (char)(x < 16 ? '\n' : x < 40 ? ',' : x < 60 ? ' ' : "0123456789abcdef"[x & 15]);
        }
        SET_CONTEXT("keys: 64 KiB of random text");
        CHECK_RESULT(rike_capture_add_keys(cap, t, big, &skipped), RIKE_RESULT_OK);
        free(t);
    }
    /* A directory of capture files: binary files are not key files. */
    SET_CONTEXT("keys: a directory of pcaps");
    {
        rike_result res = rike_capture_load_keys(cap, "tests/data/tcpdump", &skipped);
        CHECK(res == RIKE_RESULT_OK || res == RIKE_RESULT_INVALID_PARAMETER);
    }
    rike_capture_free(cap);
    cap = NULL;

    SET_CONTEXT("keys: decryption");
    CHECK_RESULT(rike_capture_new(&cap), RIKE_RESULT_OK);
    skipped = 77;
    CHECK_RESULT(rike_capture_load_keys(cap, "tests/data/crafted/ikev2_decryption_table", &skipped),
                 RIKE_RESULT_OK);
    CHECK(skipped == 0);
    CHECK(rike_capture_key_count(cap) == 1);
    CHECK_RESULT(rike_capture_add_keys(cap, KEYS_NATT, strlen(KEYS_NATT), &skipped),
                 RIKE_RESULT_OK);
    CHECK(skipped == 0);
    CHECK(rike_capture_key_count(cap) == 1); /* the same SA again */
    memset(&info, 0, sizeof info);
    info.frame = 1;
    info.carrier = RIKE_CARRIER_UDP_ENCAP;
    CHECK_RESULT(rike_capture_dissect(cap, &info, m.p, m.len, &d), RIKE_RESULT_OK);
    check_dissection(d, m.len, 0);
    CHECK(rike_dissection_source_count(d) == 1);
    r = find_record(d, dec, 0);
    CHECK(r != NULL && r->source == 1 && r->offset == 0);
    r = find_record_abbrev(d, "rike.id.type");
    CHECK(r != NULL && r->source == 1);
    r = find_record_abbrev(d, "rike.enc.icd.status");
    CHECK(r != NULL && (r->flags & RIKE_RECORD_VALUE) && r->value == 1 && r->length == 0);
    {
        size_t slen = 0;
        const uint8_t *sp = rike_dissection_source(d, 0, &slen);
        CHECK(sp != NULL && slen == 160);
        CHECK(rike_dissection_source(d, 0, NULL) == NULL);
        CHECK(strstr(rike_dissection_source_name(d, 0), "Decrypted") != NULL);
    }
    rike_dissection_free(d);
    /* Stateless dissection has no keys. */
    d = NULL;
    CHECK_RESULT(rike_dissect(m.p, m.len, RIKE_CARRIER_UDP_ENCAP, &d), RIKE_RESULT_OK);
    check_dissection(d, m.len, -1);
    CHECK(rike_dissection_source_count(d) == 0);
    CHECK(find_record_abbrev(d, "rike.id.type") == NULL);
    rike_dissection_free(d);
    /* NULL dissection. */
    n = 77;
    CHECK(rike_dissection_source_count(NULL) == 0);
    CHECK(rike_dissection_source(NULL, 0, &n) == NULL && n == 0);
    CHECK(rike_dissection_source(NULL, 0, NULL) == NULL);
    CHECK(rike_dissection_source_name(NULL, 0) != NULL && rike_dissection_source_name(NULL, 0)[0] == '\0');

    /* Keys survive a reset; the state decrypts again afterwards. */
    SET_CONTEXT("keys: after rike_capture_reset");
    CHECK_RESULT(rike_capture_reset(cap), RIKE_RESULT_OK);
    CHECK(rike_capture_key_count(cap) == 1);
    d = NULL;
    CHECK_RESULT(rike_capture_dissect(cap, &info, m.p, m.len, &d), RIKE_RESULT_OK);
    check_dissection(d, m.len, 0);
    CHECK(rike_dissection_source_count(d) == 1);
    rike_dissection_free(d);

    /* With the keys: every truncation, and damaged ciphertext (random IV,
     * data and ICV bytes) through the decryption path. */
    for (i = 0; i <= m.len; i++) {
        SET_CONTEXT("keys: UDP 4500 IKEv2 truncated to %zu of %zu bytes", i, m.len);
        dissect_and_check(cap, (uint32_t)(100 + i), m.p, i, RIKE_CARRIER_UDP_ENCAP,
                          i < m.len ? 1 : 0);
    }
    for (i = 0; i < 500; i++) {
        buf_t x = buf_copy(m.p, m.len);
        size_t flips = 1 + (size_t)(rng() % 4), f;
        for (f = 0; f < flips; f++) {
            x.p[36 + rng() % (x.len - 36)] = (uint8_t)(rng() >> 56);
        }
        SET_CONTEXT("keys: damaged ciphertext, iteration %zu", i);
        dissect_and_check(cap, (uint32_t)(1000 + i), x.p, x.len, RIKE_CARRIER_UDP_ENCAP, -1);
        buf_free(&x);
    }
    rike_capture_free(cap);
    buf_free(&m);
    context[0] = '\0';
}

/* Every expert of a dissection is `expert`. */
static int only_expert(const rike_dissection *d, size_t expert) {
    size_t n = 0, i;
    const rike_expert_record *e = rike_dissection_experts(d, &n);
    for (i = 0; i < n; i++) {
        if (e[i].expert != expert) {
            return 0;
        }
    }
    return n > 0;
}

/* A message cut by the capture (reported length beyond the buffer): what
 * is missing is "not captured" (rike.short), never a malformed length. */
static void test_reported_len(void) {
    static const struct {
        const char *name;
        const char *hex;
        uint32_t carrier;
        size_t from;
    } msgs[] = {
        {"IKE_SA_INIT request", HEX_SA_INIT_REQ, RIKE_CARRIER_PLAIN, 0},
        {"ikev2four frame 2", HEX_FOUR_F2, RIKE_CARRIER_PLAIN, 0},
        {"UDP 4500 IKEv2", HEX_NATT_IKE, RIKE_CARRIER_UDP_ENCAP, 4},
        {"UDP 4500 IKEv1", HEX_V1_NATT, RIKE_CARRIER_UDP_ENCAP, 4},
        {"RFC 8229 frame", HEX_TCP_FRAME, RIKE_CARRIER_TCP_FRAME, 6},
    };
    size_t short_ = expert_id("rike.short"), i, k;
    rike_capture *cap = NULL;
    CHECK_RESULT(rike_capture_new(&cap), RIKE_RESULT_OK);
    for (i = 0; i < sizeof msgs / sizeof msgs[0]; i++) {
        buf_t m = unhex(msgs[i].hex);
        for (k = msgs[i].from; k < m.len; k++) {
            buf_t b = buf_copy(m.p, k);
            rike_pdu_info info;
            rike_dissection *d = NULL;
            SET_CONTEXT("%s, %zu of %zu octets captured", msgs[i].name, k, m.len);
            memset(&info, 0, sizeof info);
            info.frame = (uint32_t)(k + 1);
            info.carrier = msgs[i].carrier;
            info.reported_len = (uint32_t)m.len;
            CHECK_RESULT(rike_capture_dissect(cap, &info, b.p, b.len, &d), RIKE_RESULT_OK);
            check_dissection(d, b.len, 1);
            CHECK(only_expert(d, short_));
            rike_dissection_free(d);
            buf_free(&b);
        }
        buf_free(&m);
    }
    /* ESP whose header was cut: still ESP, from offset 0. */
    {
        buf_t m = unhex(HEX_NATT_ESP);
        for (k = 4; k < 8; k++) {
            buf_t b = buf_copy(m.p, k);
            rike_pdu_info info;
            rike_dissection *d = NULL;
            size_t at = 77;
            SET_CONTEXT("ESP in UDP, %zu octets captured", k);
            memset(&info, 0, sizeof info);
            info.frame = 1000;
            info.carrier = RIKE_CARRIER_UDP_ENCAP;
            info.reported_len = (uint32_t)m.len;
            CHECK_RESULT(rike_capture_dissect(cap, &info, b.p, b.len, &d), RIKE_RESULT_OK);
            check_dissection(d, b.len, 1);
            CHECK(only_expert(d, short_));
            CHECK_RESULT(rike_dissection_esp_offset(d, &at), RIKE_RESULT_OK);
            CHECK(at == 0);
            rike_dissection_free(d);
            /* Not cut (nothing more on the wire): malformed. */
            info.reported_len = 0;
            d = NULL;
            CHECK_RESULT(rike_capture_dissect(cap, &info, b.p, b.len, &d), RIKE_RESULT_OK);
            check_dissection(d, b.len, 1);
            CHECK(!has_expert(d, short_));
            at = 77;
            CHECK_RESULT(rike_dissection_esp_offset(d, &at), RIKE_RESULT_DONE);
            CHECK(at == 77);
            rike_dissection_free(d);
            buf_free(&b);
        }
        buf_free(&m);
    }
    /* A length that goes beyond even the wire length is malformed. */
    {
        buf_t m = unhex(HEX_SA_INIT_REQ);
        rike_pdu_info info;
        rike_dissection *d = NULL;
        SET_CONTEXT("declared beyond the wire length");
        memset(&info, 0, sizeof info);
        info.frame = 2000;
        info.carrier = RIKE_CARRIER_PLAIN;
        info.reported_len = (uint32_t)m.len - 5; /* the header says 256 */
        CHECK_RESULT(rike_capture_dissect(cap, &info, m.p, m.len - 10, &d), RIKE_RESULT_OK);
        check_dissection(d, m.len - 10, 1);
        CHECK(!only_expert(d, short_));
        rike_dissection_free(d);
        buf_free(&m);
    }
    rike_capture_free(cap);
    context[0] = '\0';
}

/* ESP in an RFC 8229 frame starts after the length field; a frame length
 * below 6 is reported, and so is one that disagrees with the frame. */
static void test_tcp_frames(void) {
    static const uint8_t bad[] = {0x00, 0x03, 'j', 'u', 'n', 'k'};
    static const uint8_t zero[] = {0x00, 0x00};
    buf_t esp = unhex(HEX_NATT_ESP), fr = unhex(HEX_TCP_FRAME);
    size_t malformed = expert_id("rike.malformed"), mismatch = expert_id("rike.length.invalid");
    size_t tcplen = field_id("rike.tcp.length"), n = 0, at;
    rike_dissection *d = NULL;
    const rike_record *r;
    uint8_t *frame;

    SET_CONTEXT("ESP in an RFC 8229 frame");
    frame = (uint8_t *)malloc(esp.len + 2);
    if (!frame) {
        exit(2);
    }
    frame[0] = (uint8_t)((esp.len + 2) >> 8);
    frame[1] = (uint8_t)(esp.len + 2);
    memcpy(frame + 2, esp.p, esp.len);
    CHECK_RESULT(rike_tcp_pdu_length(frame, esp.len + 2, &n), RIKE_RESULT_OK);
    CHECK(n == esp.len + 2);
    CHECK_RESULT(rike_dissect(frame, esp.len + 2, RIKE_CARRIER_TCP_FRAME, &d), RIKE_RESULT_OK);
    check_dissection(d, esp.len + 2, 0);
    at = 77;
    CHECK_RESULT(rike_dissection_esp_offset(d, &at), RIKE_RESULT_OK);
    CHECK(at == 2);
    rike_dissection_free(d);
    free(frame);

    SET_CONTEXT("RFC 8229 frame length 3");
    n = 77;
    CHECK_RESULT(rike_tcp_pdu_length(bad, sizeof bad, &n), RIKE_RESULT_MALFORMED);
    CHECK(n == 77);
    d = NULL;
    {
        buf_t b = buf_copy(bad, sizeof bad);
        CHECK_RESULT(rike_dissect(b.p, b.len, RIKE_CARRIER_TCP_FRAME, &d), RIKE_RESULT_OK);
        check_dissection(d, b.len, 1);
        CHECK(has_expert(d, malformed));
        r = find_record(d, tcplen, 0);
        CHECK(r && r->offset == 0 && r->length == 2 && r->text && strstr(r->text, "invalid"));
        CHECK(strstr(rike_dissection_summary(d), "Malformed") != NULL);
        rike_dissection_free(d);
        buf_free(&b);
    }
    SET_CONTEXT("RFC 8229 frame length 0, two octets");
    {
        buf_t b = buf_copy(zero, sizeof zero);
        d = NULL;
        CHECK_RESULT(rike_dissect(b.p, b.len, RIKE_CARRIER_TCP_FRAME, &d), RIKE_RESULT_OK);
        check_dissection(d, b.len, 1);
        CHECK(has_expert(d, malformed));
        rike_dissection_free(d);
        buf_free(&b);
    }
    SET_CONTEXT("RFC 8229 frame longer than its length field");
    {
        buf_t b = buf_copy(fr.p, fr.len);
        b.p[1] = (uint8_t)(b.p[1] - 1); /* one octet less than the frame */
        d = NULL;
        CHECK_RESULT(rike_dissect(b.p, b.len, RIKE_CARRIER_TCP_FRAME, &d), RIKE_RESULT_OK);
        check_dissection(d, b.len, 1);
        CHECK(has_expert(d, mismatch));
        rike_dissection_free(d);
        buf_free(&b);
    }
    buf_free(&esp);
    buf_free(&fr);
    context[0] = '\0';
}

/* Keys replaced without a new capture state. */
static void test_clear_keys(void) {
    buf_t m = unhex(HEX_NATT_IKE);
    rike_capture *cap = NULL;
    rike_dissection *d;
    rike_pdu_info info;
    size_t skipped = 77, dec = field_id("rike.enc.decrypted");
    uint32_t frame;

    SET_CONTEXT("rike_capture_clear_keys");
    CHECK_RESULT(rike_capture_new(&cap), RIKE_RESULT_OK);
    CHECK_RESULT(rike_capture_clear_keys(cap), RIKE_RESULT_OK); /* nothing to clear */
    CHECK_RESULT(rike_capture_load_keys(cap, "tests/data/crafted/ikev2_decryption_table", &skipped),
                 RIKE_RESULT_OK);
    CHECK(rike_capture_key_count(cap) == 1);
    memset(&info, 0, sizeof info);
    info.carrier = RIKE_CARRIER_UDP_ENCAP;
    for (frame = 1; frame <= 6; frame++) {
        int want_keys = frame == 1 || frame == 4 || frame == 6;
        if (frame == 2 || frame == 5) {
            CHECK_RESULT(rike_capture_clear_keys(cap), RIKE_RESULT_OK);
            CHECK_RESULT(rike_capture_clear_keys(cap), RIKE_RESULT_OK); /* twice */
            CHECK(rike_capture_key_count(cap) == 0);
        }
        if (frame == 4) {
            CHECK_RESULT(rike_capture_add_keys(cap, KEYS_NATT, strlen(KEYS_NATT), NULL),
                         RIKE_RESULT_OK);
        }
        if (frame == 6) {
            CHECK_RESULT(rike_capture_reset(cap), RIKE_RESULT_OK);
            CHECK_RESULT(rike_capture_load_keys(cap, "tests/data/crafted/ikev2_decryption_table",
                                                NULL),
                         RIKE_RESULT_OK);
        }
        SET_CONTEXT("rike_capture_clear_keys, frame %u (keys: %d)", (unsigned)frame, want_keys);
        /* The same frame number again: results of the old keys are gone. */
        info.frame = 1;
        d = NULL;
        CHECK_RESULT(rike_capture_dissect(cap, &info, m.p, m.len, &d), RIKE_RESULT_OK);
        check_dissection(d, m.len, -1);
        CHECK(rike_dissection_source_count(d) == (size_t)want_keys);
        CHECK((find_record(d, dec, 0) != NULL) == want_keys);
        rike_dissection_free(d);
    }
    rike_capture_free(cap);
    buf_free(&m);
    context[0] = '\0';
}

/* Many dissections kept alive at once, freed in another order. */
static void test_many_alive(void) {
    enum { N = 64 };
    rike_dissection *ds[N];
    buf_t m = unhex(HEX_FOUR_F1);
    rike_capture *cap = NULL;
    const size_t len = m.len;
    size_t i;
    SET_CONTEXT("many dissections alive");
    CHECK_RESULT(rike_capture_new(&cap), RIKE_RESULT_OK);
    for (i = 0; i < N; i++) {
        rike_pdu_info info;
        memset(&info, 0, sizeof info);
        info.frame = (uint32_t)i + 1;
        info.carrier = RIKE_CARRIER_PLAIN;
        ds[i] = NULL;
        CHECK_RESULT(rike_capture_dissect(cap, &info, m.p, m.len, &ds[i]), RIKE_RESULT_OK);
    }
    rike_capture_free(cap);
    buf_free(&m); /* dissections do not borrow the input buffer */
    for (i = 0; i < N; i += 2) {
        check_dissection(ds[i], len, -1);
        rike_dissection_free(ds[i]);
    }
    for (i = 1; i < N; i += 2) {
        check_dissection(ds[i], len, -1);
        rike_dissection_free(ds[i]);
    }
    context[0] = '\0';
}

int main(void) {
    test_catalogue();
    test_groups_and_ranges();
    test_sa_init_request();
    test_other_carriers();
    test_two_pass_and_reset();
    test_null_parameters();
    test_zero_length();
    test_invalid_parameters();
    test_tcp_pdu_length();
    test_truncations();
    test_random();
    test_keys_and_sources();
    test_reported_len();
    test_tcp_frames();
    test_clear_keys();
    test_many_alive();
    if (failures) {
        fprintf(stderr, "dissect_api: %lu of %lu checks FAILED\n", failures, checks);
        return 1;
    }
    printf("dissect_api: all %lu checks passed\n", checks);
    return 0;
}
