/* packet-rike.c -- Wireshark epan plugin: ISAKMP / IKEv1 / IKEv2 dissected by
 * librike (Rust). This file holds no protocol knowledge: it registers the
 * fields, subtrees and expert infos librike's catalogue lists, hands each
 * buffer to librike and turns the records it returns into tree items.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 * (links libwireshark, GPL-2.0-or-later; librike itself is MIT OR Apache-2.0)
 */
#define WS_BUILD_DLL
#include <wireshark.h>
#include <epan/packet.h>
#include <epan/expert.h>
#include <epan/conversation.h>
#include <epan/exceptions.h>
#include <epan/prefs.h>
#include <epan/dissectors/packet-tcp.h>
#include <wsutil/report_message.h>
#if WIRESHARK_VERSION_MAJOR > 4 || (WIRESHARK_VERSION_MAJOR == 4 && WIRESHARK_VERSION_MINOR >= 2)
#include <wsutil/plugins.h>
#define RIKE_HAVE_PLUGIN_DESCRIBE 1
#endif

#include <stddef.h>
#include <string.h>

#include "rike.h"

#ifndef PLUGIN_VERSION
#define PLUGIN_VERSION RIKE_VERSION_STRING
#endif

/* librike's value-name and value-range tables are handed to Wireshark as
 * value_string and range_string tables without copying: the layouts must
 * be the same. */
G_STATIC_ASSERT(sizeof(rike_value_name) == sizeof(value_string));
G_STATIC_ASSERT(offsetof(rike_value_name, value) == offsetof(value_string, value));
G_STATIC_ASSERT(offsetof(rike_value_name, name) == offsetof(value_string, strptr));
G_STATIC_ASSERT(sizeof(rike_range_name) == sizeof(range_string));
G_STATIC_ASSERT(offsetof(rike_range_name, min) == offsetof(range_string, value_min));
G_STATIC_ASSERT(offsetof(rike_range_name, max) == offsetof(range_string, value_max));
G_STATIC_ASSERT(offsetof(rike_range_name, name) == offsetof(range_string, strptr));
G_STATIC_ASSERT(sizeof(((range_string *)0)->value_min) == sizeof(guint64));

/* ---- the four symbols of the 4.0 plugin ABI (the only exported ones) */
WS_DLL_PUBLIC_DEF const gchar plugin_version[] = PLUGIN_VERSION;
WS_DLL_PUBLIC_DEF const int plugin_want_major = WIRESHARK_VERSION_MAJOR;
WS_DLL_PUBLIC_DEF const int plugin_want_minor = WIRESHARK_VERSION_MINOR;
WS_DLL_PUBLIC void plugin_register(void);
#ifdef RIKE_HAVE_PLUGIN_DESCRIBE
WS_DLL_PUBLIC uint32_t plugin_describe(void);
uint32_t plugin_describe(void) { return WS_PLUGIN_DESC_DISSECTOR; }
#endif

#define RIKE_MAX_DEPTH 32               /* deeper records hang at this depth */
#define RIKE_TCP_FIXED_LEN 6            /* smallest RFC 8229 PDU (rike_tcp_pdu_length) */

static int proto_rike = -1;
static int proto_rike_natt = -1, proto_rike_tcp = -1; /* names for Decode As; enabled with rike */
static int *hf_rike;                    /* [rike_field_count()]: catalogue id -> hf */
static gint *ett_rike;                  /* [rike_field_count()]: one subtree type per field */
static gint ett_rike_proto = -1;
static expert_field *ei_rike;           /* [rike_expert_count()] */
static const rike_field_info **fields;  /* the catalogue, cached */
static size_t n_fields, n_experts;

static rike_capture *capture;           /* per-capture state, reset with the capture */
static dissector_handle_t rike_handle, rike_natt_handle, rike_tcp_handle, esp_handle;
static gboolean rike_desegment = TRUE;
static const char *rike_keys_path = "";   /* preference rike.keys_file */
static char *loaded_keys_path;           /* the keys the capture state holds */

/* ---------------------------------------------------------------- registration */

static enum ftenum ftype_of(rike_field_kind k)
{
    switch (k) {
    case RIKE_FIELD_KIND_UINT8: return FT_UINT8;
    case RIKE_FIELD_KIND_UINT16: return FT_UINT16;
    case RIKE_FIELD_KIND_UINT32: return FT_UINT32;
    case RIKE_FIELD_KIND_UINT64: return FT_UINT64;
    case RIKE_FIELD_KIND_BOOLEAN: return FT_BOOLEAN;
    case RIKE_FIELD_KIND_BYTES: return FT_BYTES;
    case RIKE_FIELD_KIND_IPV4: return FT_IPv4;
    case RIKE_FIELD_KIND_IPV6: return FT_IPv6;
    case RIKE_FIELD_KIND_STRING: return FT_STRING;
    case RIKE_FIELD_KIND_FRAME_NUM: return FT_FRAMENUM;
    case RIKE_FIELD_KIND_REL_TIME_NS: return FT_RELATIVE_TIME;
    case RIKE_FIELD_KIND_LABEL:
    default: return FT_NONE;
    }
}

static gboolean is_integer(rike_field_kind k)
{
    return k == RIKE_FIELD_KIND_UINT8 || k == RIKE_FIELD_KIND_UINT16 ||
           k == RIKE_FIELD_KIND_UINT32 || k == RIKE_FIELD_KIND_UINT64;
}

/* One hf_register_info from one catalogue entry. */
static void fill_hf(hf_register_info *hf, const rike_field_info *f, int *id)
{
    header_field_info *h = &hf->hfinfo;
    hf->p_id = id;
    h->name = f->name;
    h->abbrev = f->abbrev;
    h->type = ftype_of(f->kind);
    h->display = BASE_NONE;
    h->strings = NULL;
    h->bitmask = f->mask;
    h->blurb = NULL;
    h->id = -1; h->parent = 0; h->ref_type = HF_REF_TYPE_NONE;
    h->same_name_prev_id = -1; h->same_name_next = NULL;
    if (is_integer(f->kind)) {
        h->display = f->base == RIKE_FIELD_BASE_HEX ? BASE_HEX : BASE_DEC;
        if (f->ranges) {
            /* Names and named ranges (private use …): one range_string. */
            h->strings = (const range_string *)f->ranges; /* same layout, static */
            h->display |= BASE_RANGE_STRING;
        } else if (f->values && f->kind == RIKE_FIELD_KIND_UINT64) {
            /* 64-bit fields need val64_string: copy (process lifetime). */
            val64_string *v = g_new0(val64_string, f->values_len + 1);
            for (size_t i = 0; i < f->values_len; i++) {
                v[i].value = f->values[i].value;
                v[i].strptr = f->values[i].name;
            }
            h->strings = v;
            h->display |= BASE_VAL64_STRING;
        } else if (f->values) {
            h->strings = (const value_string *)f->values; /* same layout, static */
        }
    } else if (f->kind == RIKE_FIELD_KIND_BOOLEAN) {
        h->display = f->mask ? (int)f->bool_bits : BASE_NONE;
        if (f->true_text && f->false_text) {
            true_false_string *tfs = g_new(true_false_string, 1);
            tfs->true_string = f->true_text;
            tfs->false_string = f->false_text;
            h->strings = tfs;
        }
    }
}

static void rike_init(void)
{
    if (capture)
        rike_capture_reset(capture);
}

/* Preferences applied: a changed key file replaces the keys of the
 * capture state (Wireshark dissects the capture again afterwards). */
static void rike_prefs_apply(void)
{
    const char *path = rike_keys_path ? rike_keys_path : "";
    size_t skipped = 0;
    rike_result rc;

    if (!capture && rike_capture_new(&capture) != RIKE_RESULT_OK)
        capture = NULL;
    if (!capture || g_strcmp0(path, loaded_keys_path ? loaded_keys_path : "") == 0)
        return;
    rc = rike_capture_clear_keys(capture);
    if (rc == RIKE_RESULT_POISONED && rike_capture_reset(capture) == RIKE_RESULT_OK)
        rc = rike_capture_clear_keys(capture);
    if (rc != RIKE_RESULT_OK) {
        report_failure("rike: cannot replace the keys: %s", rike_result_str(rc));
        return;
    }
    g_free(loaded_keys_path);
    loaded_keys_path = g_strdup(path);
    if (!*path)
        return;
    rc = rike_capture_load_keys(capture, path, &skipped);
    if (rc != RIKE_RESULT_OK)
        report_failure("rike: cannot read keys from %s: %s", path, rike_result_str(rc));
    else if (skipped)
        report_warning("rike: %zu unreadable line(s) in %s", skipped, path);
}

static int dissect_rike_plain(tvbuff_t *, packet_info *, proto_tree *, void *);
static int dissect_rike_natt(tvbuff_t *, packet_info *, proto_tree *, void *);
static int dissect_rike_tcp(tvbuff_t *, packet_info *, proto_tree *, void *);

static void proto_register_rike(void)
{
    n_fields = rike_field_count();
    n_experts = rike_expert_count();
    proto_rike = proto_register_protocol("ISAKMP/IKE (rike)", "RIKE", "rike");

    /* Fields and subtree types, straight from the catalogue. Never freed:
     * Wireshark keeps pointers into them for the life of the process. */
    hf_register_info *hf = g_new0(hf_register_info, n_fields);
    gint **ett = g_new0(gint *, n_fields + 1);
    hf_rike = g_new(int, n_fields);
    ett_rike = g_new(gint, n_fields);
    fields = g_new0(const rike_field_info *, n_fields);
    for (size_t i = 0; i < n_fields; i++) {
        fields[i] = rike_field_get(i);
        if (!fields[i] || fields[i]->id != i)
            g_error("rike: field catalogue entry %zu is inconsistent", i);
        hf_rike[i] = -1;
        ett_rike[i] = -1;
        fill_hf(&hf[i], fields[i], &hf_rike[i]);
        ett[i] = &ett_rike[i];
    }
    ett[n_fields] = &ett_rike_proto;
    proto_register_field_array(proto_rike, hf, (int)n_fields);
    proto_register_subtree_array(ett, (int)n_fields + 1);

    /* Expert infos, with librike's severity and group. */
    ei_register_info *ei = g_new0(ei_register_info, n_experts);
    ei_rike = g_new(expert_field, n_experts);
    for (size_t i = 0; i < n_experts; i++) {
        const rike_expert_info *e = rike_expert_get(i);
        if (!e || e->id != i)
            g_error("rike: expert catalogue entry %zu is inconsistent", i);
        ei_rike[i].ei = EI_INIT_EI;
        ei_rike[i].hf = EI_INIT_HF;
        ei[i].ids = &ei_rike[i];
        ei[i].eiinfo.name = e->abbrev;
        ei[i].eiinfo.summary = e->summary;
        switch (e->severity) {
        case RIKE_SEVERITY_ERROR: ei[i].eiinfo.severity = PI_ERROR; break;
        case RIKE_SEVERITY_WARNING: ei[i].eiinfo.severity = PI_WARN; break;
        default: ei[i].eiinfo.severity = PI_NOTE; break;
        }
        switch (e->group) {
        case RIKE_EXPERT_GROUP_MALFORMED: ei[i].eiinfo.group = PI_MALFORMED; break;
        case RIKE_EXPERT_GROUP_SEQUENCE: ei[i].eiinfo.group = PI_SEQUENCE; break;
        case RIKE_EXPERT_GROUP_UNDECODED: ei[i].eiinfo.group = PI_UNDECODED; break;
        case RIKE_EXPERT_GROUP_DECRYPTION: ei[i].eiinfo.group = PI_DECRYPTION; break;
        case RIKE_EXPERT_GROUP_REASSEMBLE: ei[i].eiinfo.group = PI_REASSEMBLE; break;
        case RIKE_EXPERT_GROUP_PROTOCOL:
        default: ei[i].eiinfo.group = PI_PROTOCOL; break;
        }
        ei[i].eiinfo.id = 0; ei[i].eiinfo.protocol = NULL; ei[i].eiinfo.orig_severity = 0;
        ei[i].eiinfo.hf_info.p_id = NULL; /* EXPFILL */
        ei[i].eiinfo.hf_info.hfinfo.type = FT_NONE;
        ei[i].eiinfo.hf_info.hfinfo.id = -1;
        ei[i].eiinfo.hf_info.hfinfo.same_name_prev_id = -1;
    }
    expert_register_field_array(expert_register_protocol(proto_rike), ei, (int)n_experts);

    module_t *m = prefs_register_protocol(proto_rike, rike_prefs_apply);
    prefs_register_filename_preference(m, "keys_file", "Key file or directory",
        "Decryption keys: Wireshark ikev1/ikev2_decryption_table, strongSwan save-keys"
        " output, tcpdump/pluto \"ikev2 I|R\" lines or a rike key log (a directory: every"
        " file in it). Read by librike when the preference changes.",
        &rike_keys_path, FALSE);
    prefs_register_bool_preference(m, "desegment",
        "Reassemble IKE messages spanning multiple TCP segments",
        "Whether RFC 8229 IKE-over-TCP frames that span TCP segments are reassembled"
        " (needs TCP's \"Allow subdissectors to reassemble TCP streams\").",
        &rike_desegment);

    /* One handle per carrier. The UDP 4500 and TCP ones belong to helper
     * protocols that live and die with "rike" but have names of their own,
     * so that Decode As (-d udp.port==N,rike_natt) can tell them apart. */
    proto_rike_natt = proto_register_protocol_in_name_only("IKE over UDP 4500: non-ESP marker,"
        " NAT-keepalive, ESP (rike)", "RIKE-NATT", "rike_natt", proto_rike, FT_PROTOCOL);
    proto_rike_tcp = proto_register_protocol_in_name_only("IKE over TCP, RFC 8229 (rike)",
        "RIKE-TCP", "rike_tcp", proto_rike, FT_PROTOCOL);
    rike_handle = register_dissector("rike", dissect_rike_plain, proto_rike);
    rike_natt_handle = register_dissector("rike_natt", dissect_rike_natt, proto_rike_natt);
    rike_tcp_handle = register_dissector("rike_tcp", dissect_rike_tcp, proto_rike_tcp);

    rike_prefs_apply();                 /* creates the capture state */
    register_init_routine(rike_init);
    register_cleanup_routine(rike_init);
}

/* ---------------------------------------------------------------- dissection */

/* One record as one tree item. */
static proto_item *add_record(proto_tree *tree, tvbuff_t *tvb, const rike_record *r)
{
    const rike_field_info *f = fields[r->field];
    int hf = hf_rike[r->field];
    gint off = (gint)r->offset, len = (gint)r->length;
    gboolean has_value = (r->flags & RIKE_RECORD_VALUE) != 0;
    gboolean has_text = (r->flags & RIKE_RECORD_TEXT) != 0 && r->text;
    proto_item *ti;

    switch (f->kind) {
    case RIKE_FIELD_KIND_UINT8:
    case RIKE_FIELD_KIND_UINT16:
    case RIKE_FIELD_KIND_UINT32:
    case RIKE_FIELD_KIND_FRAME_NUM:
        ti = has_value ? proto_tree_add_uint(tree, hf, tvb, off, len, (guint32)r->value)
                       : proto_tree_add_item(tree, hf, tvb, off, len, ENC_BIG_ENDIAN);
        break;
    case RIKE_FIELD_KIND_UINT64:
        ti = has_value ? proto_tree_add_uint64(tree, hf, tvb, off, len, r->value)
                       : proto_tree_add_item(tree, hf, tvb, off, len, ENC_BIG_ENDIAN);
        break;
    case RIKE_FIELD_KIND_BOOLEAN:
        ti = has_value ? proto_tree_add_boolean(tree, hf, tvb, off, len, (guint32)r->value)
                       : proto_tree_add_item(tree, hf, tvb, off, len, ENC_BIG_ENDIAN);
        break;
    case RIKE_FIELD_KIND_REL_TIME_NS: {
        nstime_t t;
        t.secs = (time_t)(r->value / 1000000000u);
        t.nsecs = (int)(r->value % 1000000000u);
        ti = proto_tree_add_time(tree, hf, tvb, off, len, &t);
        break;
    }
    case RIKE_FIELD_KIND_STRING:
        if (has_text) {
            ti = proto_tree_add_string(tree, hf, tvb, off, len, r->text);
            has_text = FALSE;           /* the text is the value */
        } else {
            ti = proto_tree_add_item(tree, hf, tvb, off, len, ENC_ASCII | ENC_NA);
        }
        break;
    case RIKE_FIELD_KIND_IPV4:
        ti = proto_tree_add_item(tree, hf, tvb, off, len, ENC_BIG_ENDIAN);
        break;
    default:                            /* label, bytes, IPv6 */
        ti = proto_tree_add_item(tree, hf, tvb, off, len, ENC_NA);
        break;
    }
    if (has_text)
        proto_item_append_text(ti, "%s%s", r->text[0] == ' ' ? "" : " ", r->text);
    if (len == 0 && (has_value || (r->flags & RIKE_RECORD_TEXT)))
        proto_item_set_generated(ti);
    return ti;
}

static proto_item **add_records(tvbuff_t *, packet_info *, proto_item *, const rike_dissection *,
                                int);

/* Shows one dissection: columns, tree, expert infos; ESP goes to the esp
 * dissector. May throw (proto_tree_add_* on bad offsets). */
static void show_dissection(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree,
                            const rike_dissection *d, gboolean append_info)
{
    size_t n = 0, n_ex = 0;
    const rike_expert_record *exs = rike_dissection_experts(d, &n_ex);
    (void)rike_dissection_records(d, &n);  /* the number of records */
    size_t esp_at = 0;
    int esp = esp_handle && rike_dissection_esp_offset(d, &esp_at) == RIKE_RESULT_OK &&
              esp_at < tvb_captured_length(tvb) ? (int)esp_at : -1;

    /* The whole buffer is ESP: the esp dissector's, unless it is disabled. */
    if (esp == 0 && call_dissector_only(esp_handle, tvb, pinfo, tree, NULL) > 0)
        return;
    if (esp == 0)
        esp = -1;
    col_set_str(pinfo->cinfo, COL_PROTOCOL, "RIKE");
    if (append_info) {
        col_append_sep_str(pinfo->cinfo, COL_INFO, ", ", rike_dissection_summary(d));
        col_set_fence(pinfo->cinfo, COL_INFO);
    } else {
        col_add_str(pinfo->cinfo, COL_INFO, rike_dissection_summary(d));
    }
    proto_item *top = proto_tree_add_item(tree, proto_rike, tvb, 0, esp > 0 ? esp : -1, ENC_NA);
    proto_item **items = NULL;
    /* Without a tree (a first pass, a summary) the records have nowhere to
     * go; the expert infos still count. */
    if (tree)
        items = add_records(tvb, pinfo, top, d, esp);
    for (size_t i = 0; i < n_ex; i++) {
        const rike_expert_record *e = &exs[i];
        if (e->expert >= n_experts)
            continue;
        proto_item *at = items && e->record < n && items[e->record] ? items[e->record] : top;
        expert_add_info_format(pinfo, at, &ei_rike[e->expert], "%s", e->text ? e->text : "");
    }
    if (esp > 0)
        call_dissector(esp_handle, tvb_new_subset_remaining(tvb, esp), pinfo, tree);
}

/* The records of a dissection as tree items under `top`; returns the item
 * of each record (NULL where none was made). */
static proto_item **add_records(tvbuff_t *tvb, packet_info *pinfo, proto_item *top,
                                const rike_dissection *d, int esp)
{
    size_t n = 0, n_src = rike_dissection_source_count(d);
    const rike_record *recs = rike_dissection_records(d, &n);
    tvbuff_t **tvbs;

    /* Decrypted or reassembled data: new tabs in the bytes pane. librike
     * owns the bytes only until rike_dissection_free: copy them. */
    tvbs = wmem_alloc0_array(pinfo->pool, tvbuff_t *, n_src + 1);
    tvbs[0] = tvb;
    for (size_t i = 0; i < n_src; i++) {
        size_t slen = 0;
        const guint8 *src = rike_dissection_source(d, i, &slen);
        guint8 *copy = wmem_memdup(pinfo->pool, src ? src : (const guint8 *)"", slen);
        tvbs[i + 1] = tvb_new_child_real_data(tvb, copy, (guint)slen, (gint)slen);
        add_new_data_source(pinfo, tvbs[i + 1],
                            wmem_strdup(pinfo->pool, rike_dissection_source_name(d, i)));
    }
    proto_tree *root = proto_item_add_subtree(top, ett_rike_proto);
    proto_item **items = wmem_alloc0_array(pinfo->pool, proto_item *, n ? n : 1);
    proto_item *last[RIKE_MAX_DEPTH + 1];   /* latest item at each depth */
    guint last_field[RIKE_MAX_DEPTH + 1];
    guint next = 0;                         /* deepest depth the next record may take */

    for (size_t i = 0; i < n; i++) {
        const rike_record *r = &recs[i];
        if (esp > 0 && r->source == 0 && r->depth == 0 && (gint)r->offset >= esp)
            break;      /* the ESP packet itself goes to the esp dissector */
        if (r->field >= n_fields || r->source > n_src)
            continue;
        guint depth = MIN(r->depth, next);
        proto_tree *parent = root;
        if (depth > 0)  /* a child of the latest record one level up */
            parent = proto_item_add_subtree(last[depth - 1], ett_rike[last_field[depth - 1]]);
        items[i] = add_record(parent, tvbs[r->source], r);
        last[depth] = items[i];
        last_field[depth] = r->field;
        next = MIN(depth + 1, RIKE_MAX_DEPTH);
    }
    return items;
}

/* Dissects one buffer with librike (which updates the capture state) and
 * shows the result. Returns FALSE when librike refused the buffer. */
static gboolean dissect_buffer(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree,
                               rike_carrier carrier, gboolean append_info)
{
    guint len = tvb_captured_length(tvb), wire = tvb_reported_length(tvb);
    const guint8 *buf = len ? tvb_get_ptr(tvb, 0, len) : NULL;
    rike_pdu_info info;
    rike_dissection *d = NULL;

    if (!capture)
        return FALSE;
    memset(&info, 0, sizeof info);
    info.frame = pinfo->num;
    info.flags = PINFO_FD_VISITED(pinfo) ? RIKE_PDU_VISITED : 0;
    if (!tree)
        info.flags |= RIKE_PDU_NO_TREE;     /* records would have nowhere to go */
    info.time_ns = (guint64)pinfo->abs_ts.secs * 1000000000u + (guint64)pinfo->abs_ts.nsecs;
    info.carrier = carrier;
    info.reported_len = wire > len ? wire : 0;  /* cut short by the capture */
    if (rike_capture_dissect(capture, &info, buf, len, &d) != RIKE_RESULT_OK) {
        rike_capture_reset(capture);    /* a caught panic poisons the state */
        return FALSE;
    }
    TRY {
        show_dissection(tvb, pinfo, tree, d, append_info);
    }
    FINALLY {
        rike_dissection_free(d);        /* also when an exception passes through */
    }
    ENDTRY;
    return TRUE;
}

static int dissect_rike_plain(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data _U_)
{
    if (!dissect_buffer(tvb, pinfo, tree, RIKE_CARRIER_PLAIN, FALSE))
        return 0;
    return (int)tvb_captured_length(tvb);
}

static int dissect_rike_natt(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data _U_)
{
    if (!dissect_buffer(tvb, pinfo, tree, RIKE_CARRIER_UDP_ENCAP, FALSE))
        return 0;
    return (int)tvb_captured_length(tvb);
}

/* RFC 8229: one PDU ("IKETCP" or a length-prefixed frame) from tcp_dissect_pdus. */
static int dissect_rike_tcp_pdu(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data _U_)
{
    guint len = tvb_captured_length(tvb);
    rike_carrier carrier = rike_tcp_pdu_carrier(len ? tvb_get_ptr(tvb, 0, len) : NULL, len);
    dissect_buffer(tvb, pinfo, tree, carrier, TRUE);
    return (int)len;
}

/* Length of the RFC 8229 PDU at `offset` (tcp_dissect_pdus makes sure the
 * fixed 6 octets are there when it can desegment). */
static guint get_rike_tcp_pdu_len(packet_info *pinfo _U_, tvbuff_t *tvb, int offset, void *data _U_)
{
    size_t plen = 0;
    if (tvb_captured_length_remaining(tvb, offset) < RIKE_TCP_FIXED_LEN)
        return 1;   /* cut short (no desegmenting): tcp_dissect_pdus reports a bounds error */
    switch (rike_tcp_pdu_length(tvb_get_ptr(tvb, offset, RIKE_TCP_FIXED_LEN),
                                RIKE_TCP_FIXED_LEN, &plen)) {
    case RIKE_RESULT_OK:
        return (guint)plen;
    case RIKE_RESULT_MALFORMED:
        /* A frame length below 6: the stream cannot be followed. The rest
         * of the segment goes to librike as one frame, which shows the bad
         * length field and a rike.malformed expert. */
        return (guint)tvb_reported_length_remaining(tvb, offset);
    default:
        return 1;
    }
}

static int dissect_rike_tcp(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data)
{
    col_set_str(pinfo->cinfo, COL_PROTOCOL, "RIKE");
    col_clear(pinfo->cinfo, COL_INFO);
    tcp_dissect_pdus(tvb, pinfo, tree, rike_desegment, RIKE_TCP_FIXED_LEN,
                     get_rike_tcp_pdu_len, dissect_rike_tcp_pdu, data);
    return (int)tvb_captured_length(tvb);
}

static gboolean heur_rike_tcp(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data)
{
    guint len = tvb_captured_length(tvb);
    if (len == 0 || !rike_tcp_heuristic(tvb_get_ptr(tvb, 0, len), len))
        return FALSE;
    conversation_set_dissector(find_or_create_conversation(pinfo), rike_tcp_handle);
    dissect_rike_tcp(tvb, pinfo, tree, data);
    return TRUE;
}

static void proto_reg_handoff_rike(void)
{
    esp_handle = find_dissector("esp");
    dissector_add_uint_with_preference("udp.port", 500, rike_handle);
    dissector_add_uint("udp.port", 4500, rike_natt_handle);
    dissector_add_for_decode_as("udp.port", rike_natt_handle);
    dissector_add_uint_range_with_preference("tcp.port", "", rike_tcp_handle);
    heur_dissector_add("tcp", heur_rike_tcp, "RFC 8229 IKE over TCP (rike)", "rike_tcp",
                       proto_rike, HEURISTIC_ENABLE);
}

void plugin_register(void)
{
    static proto_plugin plug;
    plug.register_protoinfo = proto_register_rike;
    plug.register_handoff = proto_reg_handoff_rike;
    proto_register_plugin(&plug);
}
