/* A host program in the style of a strongSwan or Wireshark process: it
 * defines its own ike_sa_t type and ike_, isakmp_ and charon_ functions
 * (exported to the dynamic symbol table with -rdynamic), then loads
 * librike.so with dlopen and runs an exchange through it.
 *
 * Checks: the library loads with RTLD_NOW | RTLD_LOCAL; it neither
 * provides nor needs any of the host's names (dlsym finds none of them in
 * it); the host's functions still resolve to the host's own code; the
 * library's functions work (version, a configuration, an engine, the
 * first IKE_SA_INIT datagram); it unloads cleanly.
 *
 * Usage: dlopen_host /path/to/librike.so
 *
 * SPDX-License-Identifier: MIT OR Apache-2.0 */

#include "rike.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the host's own names, as a strongSwan plugin host would have ------ */

typedef struct ike_sa_t {
    int marker;
    unsigned long long spi_i, spi_r;
} ike_sa_t;

static ike_sa_t host_sa = {0x5a5a, 1, 2};

ike_sa_t *ike_sa_create(unsigned long long spi_i, unsigned long long spi_r);
ike_sa_t *ike_sa_create(unsigned long long spi_i, unsigned long long spi_r) {
    host_sa.spi_i = spi_i;
    host_sa.spi_r = spi_r;
    return &host_sa;
}

int isakmp_dissect(const unsigned char *buf, unsigned len);
int isakmp_dissect(const unsigned char *buf, unsigned len) {
    return buf && len ? 0x15a : -1;
}

int charon_init(void);
int charon_init(void) {
    return 0xc4a;
}

int proto_register_isakmp(void);
int proto_register_isakmp(void) {
    return 0x1a5;
}

/* ---- the library, through dlsym ------------------------------------------ */

static int failures;

#define CHECK(cond)                                                        \
    do {                                                                   \
        if (!(cond)) {                                                     \
            fprintf(stderr, "%s:%d: FAILED: %s\n", __FILE__, __LINE__, #cond); \
            failures++;                                                    \
        }                                                                  \
    } while (0)

/* `var` gets the exact type of the header's `fn` (__typeof__ does not
 * evaluate, so the host does not link against the library). dlsym
 * returns void *; copying it into a function pointer is what POSIX
 * specifies (-pedantic refuses a cast). */
#define LOAD(h, fn, var)                                                   \
    __typeof__(&fn) var;                                                   \
    do {                                                                   \
        void *p_ = dlsym(h, #fn);                                          \
        if (!p_) {                                                         \
            fprintf(stderr, "dlsym %s: %s\n", #fn, dlerror());             \
            return 1;                                                      \
        }                                                                  \
        memcpy(&var, &p_, sizeof var);                                     \
    } while (0)

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s /path/to/librike.so\n", argv[0]);
        return 2;
    }
    void *h = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        fprintf(stderr, "dlopen: %s\n", dlerror());
        return 1;
    }
    /* None of the host's names come from, or are looked up in, the library. */
    const char *host_names[] = {"ike_sa_create", "isakmp_dissect", "charon_init",
                                "proto_register_isakmp", "ike_sa_t"};
    for (size_t i = 0; i < sizeof host_names / sizeof host_names[0]; i++) {
        dlerror();
        CHECK(dlsym(h, host_names[i]) == NULL);
    }
    CHECK(ike_sa_create(7, 8)->marker == 0x5a5a && host_sa.spi_i == 7);
    CHECK(isakmp_dissect((const unsigned char *)"x", 1) == 0x15a);
    CHECK(charon_init() == 0xc4a && proto_register_isakmp() == 0x1a5);

    LOAD(h, rike_version, version);
    LOAD(h, rike_abi_version, abi);
    LOAD(h, rike_peer_builder_new, peer_new);
    LOAD(h, rike_peer_builder_set_local_id, set_id);
    LOAD(h, rike_peer_builder_set_remote, set_remote);
    LOAD(h, rike_peer_builder_set_psk, set_psk);
    LOAD(h, rike_config_builder_new, cb_new);
    LOAD(h, rike_config_builder_add_peer, add_peer);
    LOAD(h, rike_config_builder_build, build);
    LOAD(h, rike_config_free, config_free);
    LOAD(h, rike_engine_new, engine_new);
    LOAD(h, rike_engine_free, engine_free);
    LOAD(h, rike_engine_initiate, initiate);
    LOAD(h, rike_engine_poll_transmit, poll_transmit);
    LOAD(h, rike_addr_parse, addr_parse);

    CHECK(strcmp(version(), RIKE_VERSION_STRING) == 0);
    CHECK(abi() == RIKE_ABI_VERSION);
    rike_peer_builder *p = NULL;
    rike_config_builder *b = NULL;
    const rike_config *cfg = NULL;
    rike_engine *e = NULL;
    rike_addr me, them;
    CHECK(addr_parse("198.51.100.1", 500, &me) == RIKE_RESULT_OK);
    CHECK(addr_parse("198.51.100.2:500", 0, &them) == RIKE_RESULT_OK);
    CHECK(peer_new("gw", &p) == RIKE_RESULT_OK);
    CHECK(set_id(p, "host.example") == RIKE_RESULT_OK);
    CHECK(set_remote(p, &them) == RIKE_RESULT_OK);
    CHECK(set_psk(p, (const uint8_t *)"secret", 6) == RIKE_RESULT_OK);
    CHECK(cb_new(&b) == RIKE_RESULT_OK);
    CHECK(add_peer(b, p) == RIKE_RESULT_OK);
    CHECK(build(b, &cfg) == RIKE_RESULT_OK);
    CHECK(engine_new(cfg, &e) == RIKE_RESULT_OK);
    uint64_t sa = 0;
    CHECK(initiate(e, 0, "gw", &me, &sa) == RIKE_RESULT_OK);
    uint8_t buf[2048];
    size_t len = 0;
    rike_transmit t;
    memset(&t, 0, sizeof t);
    t.struct_size = sizeof t;
    CHECK(poll_transmit(e, buf, sizeof buf, &len, &t) == RIKE_RESULT_OK);
    CHECK(len > 200 && buf[17] == 0x20 && buf[18] == 34 && t.ike_sa == sa);
    /* The host's functions are still the host's after the library ran. */
    CHECK(ike_sa_create(9, 10) == &host_sa && host_sa.spi_r == 10);
    engine_free(e);
    config_free(cfg);
    CHECK(dlclose(h) == 0);
    printf("dlopen_host: library %s loaded, ran an exchange step and unloaded; %d failures\n", argv[1],
           failures);
    return failures ? 1 : 0;
}
