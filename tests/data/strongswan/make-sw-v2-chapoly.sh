#!/bin/bash
# make-sw-v2-chapoly.sh OUTDIR
#
# Made tests/data/strongswan/sw-v2-chapoly.*: strongSwan charon (initiator,
# network namespace $NS_A, 10.99.0.1) against strongSwan charon (responder,
# $NS_B, 10.99.0.2), IKEv2 PSK with
#   IKE  chacha20poly1305-prfsha512-ecp256   (RFC 7634, PRF HMAC-SHA-512, group 19)
#   ESP  chacha20poly1305
# and two pings through the tunnel. Written for this project on the model of
# the team's strongSwan pair scripts, self-contained so that the data here
# can be remade from the repository alone.
#
# Leaves in OUTDIR:
#   sw-v2-chapoly.pcapng              capture on the initiator's veth
#   sw-v2-chapoly.keys/rike.keylog    rike key log (`ikev2 ...`, `esp ...`):
#                                     Wireshark 4.0's decryption tables have
#                                     no ChaCha20-Poly1305 entry
#   sw-v2-chapoly.{initiator,responder}.json   every value charon logged
#                                     (extract_charon_values.py)
#   sw-v2-chapoly.summary             swanctl --list-sas and the ping
#   sw-v2-chapoly.{initiator,responder}.log    charon logs (not kept in git)
#
# Needs, as root on Debian 12: strongswan-charon strongswan-swanctl
# libstrongswan-standard-plugins libstrongswan-extra-plugins
# libcharon-extra-plugins (kernel-libipsec, chapoly) tshark iproute2
# iputils-ping python3. The test machine's kernel has no ESP, so charon
# runs kernel-libipsec (userland ESP on a TUN device, ESP-in-UDP only:
# encap = yes). Traffic stays on the veth pair between the two namespaces
# made here; every daemon is stopped by its PID, and the namespaces are
# deleted on exit.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${1:?usage: $0 OUTDIR}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
SC=sw-v2-chapoly
IKEP=chacha20poly1305-prfsha512-ecp256
ESPP=chacha20poly1305
PSK=interop-test-psk-0123456789
NS_A=${NS_A:-rikeA} NS_B=${NS_B:-rikeB}
VETH_A=${VETH_A:-rkvethA} VETH_B=${VETH_B:-rkvethB}
IP_A=10.99.0.1 IP_B=10.99.0.2 TS_A=10.1.0.1 TS_B=10.2.0.1
RUN=$(mktemp -d /tmp/rike-sw.XXXXXX)

log() { printf '[%(%H:%M:%S)T] %s\n' -1 "$*" >&2; }

stop_pid() {   # stop_pid PIDFILE [SIGNAL]
    local f=$1 sig=${2:-TERM} pid
    [ -f "$f" ] || return 0
    pid=$(cat "$f")
    kill "-$sig" "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    rm -f "$f"
}

cleanup() {
    stop_pid "$RUN/a/charon.pid"; stop_pid "$RUN/b/charon.pid"
    stop_pid "$RUN/dumpcap.pid" INT
    ip netns del "$NS_A" 2>/dev/null || true
    ip netns del "$NS_B" 2>/dev/null || true
    rm -rf "$RUN"
}
trap cleanup EXIT

# ---------------------------------------------------------------- namespaces
ip netns del "$NS_A" 2>/dev/null || true
ip netns del "$NS_B" 2>/dev/null || true
ip netns add "$NS_A"
ip netns add "$NS_B"
ip link add "$VETH_A" type veth peer name "$VETH_B"
ip link set "$VETH_A" netns "$NS_A"
ip link set "$VETH_B" netns "$NS_B"
ip -n "$NS_A" addr add "$IP_A/24" dev "$VETH_A"
ip -n "$NS_B" addr add "$IP_B/24" dev "$VETH_B"
ip -n "$NS_A" addr add "$TS_A/32" dev lo
ip -n "$NS_B" addr add "$TS_B/32" dev lo
for ns in "$NS_A" "$NS_B"; do ip -n "$ns" link set lo up; done
ip -n "$NS_A" link set "$VETH_A" up
ip -n "$NS_B" link set "$VETH_B" up
ip netns exec "$NS_A" ping -c1 -W2 "$IP_B" >/dev/null

# ---------------------------------------------------------------- charon
# charon_conf DIR: a private instance (own VICI socket, key-dumping log at
# level 4 for ike/chd, kernel-libipsec).
charon_conf() {
    local d=$1
    mkdir -p "$d/run"
    cat >"$d/strongswan.conf" <<EOF
charon {
    port = 500
    port_nat_t = 4500
    load = random nonce openssl aes sha1 sha2 hmac gcm chapoly curve25519 gmp kdf pubkey pem pkcs1 kernel-libipsec kernel-netlink socket-default vici updown
    retransmit_tries = 3
    retransmit_timeout = 1.0
    install_virtual_ip = no
    plugins {
        vici {
            socket = unix://$d/charon.vici
        }
        kernel-libipsec {
            load = yes
        }
    }
    filelog {
        keylog {
            path = $d/charon.log
            time_format = %H:%M:%S
            ike_name = yes
            append = no
            flush_line = yes
            default = 1
            ike = 4
            chd = 4
            cfg = 2
            knl = 2
            net = 1
            enc = 1
        }
    }
    syslog {
        daemon {
            default = -1
        }
    }
}
EOF
}

# charon_start NS DIR: charon 5.9.8 hard-codes /var/run/charon.pid, so each
# instance gets its own mount namespace (ip netns exec) with DIR/run on /run.
charon_start() {
    local ns=$1 d=$2
    STRONGSWAN_CONF="$d/strongswan.conf" ip netns exec "$ns" \
        sh -c 'mount --bind "$1/run" /run && exec /usr/lib/ipsec/charon' sh "$d" \
        >"$d/charon.stdout" 2>&1 &
    echo $! >"$d/charon.pid"
    for _ in $(seq 100); do [ -S "$d/charon.vici" ] && return 0; sleep 0.05; done
    log "charon in $d did not start: $(tail -5 "$d/charon.stdout")"
    exit 1
}

ctl() {   # ctl DIR COMMAND ARGS...
    local d=$1 cmd=$2
    shift 2
    STRONGSWAN_CONF="$d/strongswan.conf" swanctl "$cmd" --uri "unix://$d/charon.vici" "$@"
}

# load_conn DIR LOCAL_ADDR REMOTE_ADDR LOCAL_ID REMOTE_ID LOCAL_TS REMOTE_TS
load_conn() {
    local d=$1
    cat >"$d/swanctl.conf" <<EOF
connections {
    $SC {
        version = 2
        local_addrs = $2
        remote_addrs = $3
        proposals = $IKEP
        encap = yes
        mobike = no
        dpd_delay = 0
        rekey_time = 0
        reauth_time = 0
        local {
            auth = psk
            id = $4
        }
        remote {
            auth = psk
            id = $5
        }
        children {
            $SC {
                local_ts = $6/32
                remote_ts = $7/32
                esp_proposals = $ESPP
                mode = tunnel
                rekey_time = 0
                start_action = none
            }
        }
    }
}
secrets {
    ike-1 {
        id-1 = $4
        id-2 = $5
        secret = "$PSK"
    }
}
EOF
    ctl "$d" --load-all --file "$d/swanctl.conf" >"$d/load.log" 2>&1 || {
        log "swanctl --load-all failed: $(cat "$d/load.log")"
        exit 1
    }
}

charon_conf "$RUN/a"
charon_conf "$RUN/b"
charon_start "$NS_A" "$RUN/a"
charon_start "$NS_B" "$RUN/b"
load_conn "$RUN/a" $IP_A $IP_B a.ike.test b.ike.test $TS_A $TS_B
load_conn "$RUN/b" $IP_B $IP_A b.ike.test a.ike.test $TS_B $TS_A

# ---------------------------------------------------------------- capture
ip netns exec "$NS_A" dumpcap -i "$VETH_A" -f ip -w "$RUN/$SC.pcapng" >"$RUN/dumpcap.log" 2>&1 &
echo $! >"$RUN/dumpcap.pid"
for _ in $(seq 50); do grep -q "Capturing on" "$RUN/dumpcap.log" && break; sleep 0.1; done
sleep 1   # "Capturing on" can precede the socket being live

S="$OUT/$SC.summary"
{
    echo "scenario $SC: IKEv2 ike=$IKEP esp=$ESPP psk=$PSK"
    echo "ids: initiator=a.ike.test responder=b.ike.test; $(/usr/lib/ipsec/charon --version 2>&1 | head -1)"
} >"$S"
t0=$(date +%s%N)
ctl "$RUN/a" --initiate --child "$SC" --timeout 15 >"$RUN/initiate.log" 2>&1 || {
    log "initiate failed: $(tail -20 "$RUN/initiate.log")"
    exit 1
}
echo "initiate OK: $((($(date +%s%N) - t0) / 1000000)) ms (swanctl --initiate wall time)" >>"$S"
ctl "$RUN/a" --list-sas >>"$S" 2>&1
ctl "$RUN/a" --list-sas --raw >"$RUN/sas.raw" 2>&1
echo "--- ping through tunnel $TS_A -> $TS_B:" >>"$S"
ip netns exec "$NS_A" ping -c 2 -i 0.2 -W 2 -I "$TS_A" "$TS_B" 2>&1 | tail -2 >>"$S"
ctl "$RUN/a" --terminate --ike "$SC" --timeout 5 >>"$RUN/initiate.log" 2>&1
sleep 0.3
stop_pid "$RUN/dumpcap.pid" INT
stop_pid "$RUN/a/charon.pid"
stop_pid "$RUN/b/charon.pid"

# ---------------------------------------------------------------- results
cp "$RUN/$SC.pcapng" "$OUT/"
chmod 644 "$OUT/$SC.pcapng"
cp "$RUN/a/charon.log" "$OUT/$SC.initiator.log"
cp "$RUN/b/charon.log" "$OUT/$SC.responder.log"
python3 "$HERE/extract_charon_values.py" "$RUN/a/charon.log" >"$OUT/$SC.initiator.json"
python3 "$HERE/extract_charon_values.py" "$RUN/b/charon.log" >"$OUT/$SC.responder.json"
mkdir -p "$OUT/$SC.keys"
# The key log from the initiator's values and SPIs: IKE SA (ENCR 28 =
# ChaCha20-Poly1305, no integrity transform) and the Child SA both ways
# (the initiator's "initiator key" protects its outbound SA, spi-out).
python3 - "$OUT/$SC.initiator.json" "$RUN/sas.raw" >"$OUT/$SC.keys/rike.keylog" <<'EOF'
import json, re, sys
v = json.load(open(sys.argv[1]))
raw = open(sys.argv[2]).read()
f = lambda k: re.search(r"\b" + re.escape(k) + r"=([^ {}]+)", raw).group(1)
k = lambda label: v[label][-1]
print("# strongSwan 5.9.8, %s (see make-sw-v2-chapoly.sh)" % "IKE chacha20poly1305-prfsha512-ecp256, ESP chacha20poly1305")
print("ikev2 spi_i=%s spi_r=%s encr=28 integ=0 prf=7 sk_ei=%s sk_er=%s sk_pi=%s sk_pr=%s"
      % (f("initiator-spi"), f("responder-spi"), k("Sk_ei secret"), k("Sk_er secret"),
         k("Sk_pi secret"), k("Sk_pr secret")))
print("esp spi=%s src=%s dst=%s encr=28 integ=0 ekey=%s akey="
      % (f("spi-out"), f("local-host"), f("remote-host"), k("encryption initiator key")))
print("esp spi=%s src=%s dst=%s encr=28 integ=0 ekey=%s akey="
      % (f("spi-in"), f("remote-host"), f("local-host"), k("encryption responder key")))
EOF
grep -E "initiate|packets transmitted" "$S" >&2
log "done: $OUT/$SC.*"
