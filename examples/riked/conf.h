/* riked configuration file: peers, credentials, proposals, selectors.
 *
 *   # comment
 *   listen 10.77.0.1            # our address; UDP 500 and 4500
 *   keys /var/lib/riked/keys    # Wireshark key tables are written here
 *   tcp yes                     # also accept RFC 8229 IKE over TCP 4500
 *   xfrm yes                    # install Child SAs in the kernel (default)
 *
 *   peer gw {
 *       remote 10.77.0.2        # initiate to it (optional: respond only)
 *       local_id rike.test
 *       remote_id gw.test       # default %any
 *       psk "a long secret"     # or key/cert/ca below
 *       key /etc/riked/key.pem  # our private key (PEM or DER)
 *       external_key yes        # sign through SIGN_REQUEST events
 *       cert /etc/riked/cert.pem  # repeatable: end entity first
 *       ca /etc/riked/ca.pem      # repeatable: CAs the peer must chain to
 *       psk_lookup yes          # check the peer's PSK from the secrets
 *       ike aes256gcm16-prfsha256-x25519,aes256-sha256-modp2048
 *       auto start              # start: initiate at startup; add: wait
 *       transport udp           # or tcp (RFC 8229 to remote:4500)
 *       encap no                # yes: UDP 4500 from the first message
 *       rekey 4h                # IKE SA rekey; s, m, h suffixes
 *       dpd 30s
 *       ikev1 yes               # IKEv1 (RFC 2409): Main Mode + Quick Mode
 *       aggressive yes          # with ikev1: Aggressive Mode (exposes ids)
 *       child net {
 *           local_ts 10.71.0.1/32
 *           remote_ts 10.72.0.1/32
 *           esp aes256gcm16
 *           mode tunnel         # or transport
 *           rekey 1h
 *           lifetime 70m
 *       }
 *   }
 *   secret gw.test "its key"    # for psk_lookup (PSK_REQUEST events)
 *
 * SPDX-License-Identifier: MIT OR Apache-2.0 */

#ifndef RIKED_CONF_H
#define RIKED_CONF_H

#include <stddef.h>
#include <stdint.h>

#define RIKED_MAX_PEERS 16
#define RIKED_MAX_CHILDREN 8
#define RIKED_MAX_LIST 8
#define RIKED_MAX_SECRETS 32
#define RIKED_STR 256

typedef struct {
    char name[64];
    char local_ts[RIKED_STR];
    char remote_ts[RIKED_STR];
    char esp[RIKED_STR];
    int transport_mode;
    uint64_t rekey_ms, lifetime_ms;
} riked_child_conf;

typedef struct {
    char name[64];
    char remote[RIKED_STR]; /* "" = respond only */
    char local_id[RIKED_STR];
    char remote_id[RIKED_STR];
    char psk[RIKED_STR];
    int has_psk;
    char key[RIKED_STR];
    int external_key;
    char certs[RIKED_MAX_LIST][RIKED_STR];
    size_t ncerts;
    char cas[RIKED_MAX_LIST][RIKED_STR];
    size_t ncas;
    int psk_lookup;
    char ike[RIKED_STR];
    int auto_start;
    int tcp;
    int encap;
    uint64_t rekey_ms, dpd_ms;
    int ikev1;      /* IKEv1 instead of IKEv2 */
    int aggressive; /* IKEv1 Aggressive Mode instead of Main Mode */
    riked_child_conf children[RIKED_MAX_CHILDREN];
    size_t nchildren;
} riked_peer_conf;

typedef struct {
    char id[RIKED_STR];
    char psk[RIKED_STR];
} riked_secret;

typedef struct {
    char listen[RIKED_STR];
    char keys[RIKED_STR];
    int tcp;
    int xfrm;
    riked_peer_conf peers[RIKED_MAX_PEERS];
    size_t npeers;
    riked_secret secrets[RIKED_MAX_SECRETS];
    size_t nsecrets;
} riked_conf;

/* Reads `path` into `*c`. On failure returns -1 and writes a message
 * ("file:line: what") into `err`. */
int riked_conf_load(const char *path, riked_conf *c, char *err, size_t errlen);

#endif
