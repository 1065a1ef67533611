# shellcheck shell=bash
# tests/interop/lib.sh: rike against strongSwan's charon, each in its own
# network namespace, joined by one veth pair:
#
#     ns $RK_NS_R (rike)  10.77.0.1 ---- veth ---- 10.77.0.2  ns $RK_NS_S (charon)
#     tunnel address 10.71.0.1 on lo             tunnel address 10.72.0.1 on lo
#
# All traffic stays on that veth pair. Every process started here is
# recorded by PID and stopped by that PID; rk_cleanup (an EXIT trap) stops
# them and deletes the namespaces, on failure too.
#
# charon runs from a private strongswan.conf with its own VICI socket and a
# level-4 file log (which prints the derived keys). charon 5.9 always
# writes /var/run/charon.pid, so every instance runs in a mount namespace
# of its own with a private directory mounted over /run. This kernel may
# lack ESP: charon uses kernel-libipsec (userland ESP over a TUN device),
# which only does ESP in UDP, so its connections say encap = yes, and rike
# sees a NAT and floats to port 4500.

set -u

RK_ID=${RK_ID:-$$}
RK_NS_R=rkr$RK_ID                    # rike's namespace
RK_NS_S=rks$RK_ID                    # strongSwan's namespace
RK_VETH_R=rkvr$RK_ID
RK_VETH_S=rkvs$RK_ID
RK_IP_R=10.77.0.1
RK_IP_S=10.77.0.2
RK_TS_R=10.71.0.1
RK_TS_S=10.72.0.1
RK_CHARON=${RK_CHARON:-/usr/lib/ipsec/charon}
RK_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
RK_PIDS=()

rk_log() { printf '[interop %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
rk_die() { rk_log "ERROR: $*"; exit 1; }

# ------------------------------------------------------------ namespaces
rk_net_up() {
    ip netns add "$RK_NS_R" || return 1
    ip netns add "$RK_NS_S" || return 1
    ip link add "$RK_VETH_R" type veth peer name "$RK_VETH_S" || return 1
    ip link set "$RK_VETH_R" netns "$RK_NS_R"
    ip link set "$RK_VETH_S" netns "$RK_NS_S"
    ip -n "$RK_NS_R" addr add "$RK_IP_R/24" dev "$RK_VETH_R"
    ip -n "$RK_NS_S" addr add "$RK_IP_S/24" dev "$RK_VETH_S"
    ip -n "$RK_NS_R" addr add "$RK_TS_R/32" dev lo
    ip -n "$RK_NS_S" addr add "$RK_TS_S/32" dev lo
    local ns
    for ns in "$RK_NS_R" "$RK_NS_S"; do ip -n "$ns" link set lo up; done
    ip -n "$RK_NS_R" link set "$RK_VETH_R" up
    ip -n "$RK_NS_S" link set "$RK_VETH_S" up
    ip netns exec "$RK_NS_R" ping -c1 -W2 "$RK_IP_S" >/dev/null
}

rk_net_down() {
    ip netns del "$RK_NS_R" 2>/dev/null
    ip netns del "$RK_NS_S" 2>/dev/null
    return 0
}

# Stops everything started with rk_bg, newest first, then the namespaces.
rk_cleanup() {
    local i pid
    for ((i = ${#RK_PIDS[@]} - 1; i >= 0; i--)); do
        pid=${RK_PIDS[$i]}
        kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    done
    RK_PIDS=()
    rk_net_down
}

# rk_bg PIDFILE CMD... : runs CMD in the background, records its PID
rk_bg() {
    local pidfile=$1; shift
    "$@" &
    local pid=$!
    echo "$pid" >"$pidfile"
    RK_PIDS+=("$pid")
}

# rk_stop PIDFILE [SIGNAL]: stops that process and waits for it
rk_stop() {
    local pidfile=$1 sig=${2:-TERM} pid
    [ -f "$pidfile" ] || return 0
    pid=$(cat "$pidfile")
    kill "-$sig" "$pid" 2>/dev/null
    local n
    for n in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    rm -f "$pidfile"
}

# rk_wait_for FILE REGEX SECONDS: until a line of FILE matches
rk_wait_for() {
    local file=$1 re=$2 secs=$3 n
    for n in $(seq $((secs * 20))); do
        grep -qE "$re" "$file" 2>/dev/null && return 0
        sleep 0.05
    done
    return 1
}

# ------------------------------------------------------------ capture
# rk_cap_start FILE: dumpcap on rike's veth end
rk_cap_start() {
    local file=$1
    rk_bg "$file.pid" ip netns exec "$RK_NS_R" dumpcap -q -i "$RK_VETH_R" -f "udp or tcp port 4500" -w "$file" \
        2>"$file.log"
    # dumpcap says it is capturing a moment before it is: wait for the
    # file, then a little more.
    rk_wait_for "$file.log" "Capturing on" 5 || rk_die "dumpcap did not start: $(cat "$file.log")"
    sleep 0.5
}

rk_cap_stop() {
    sleep 0.3
    rk_stop "$1.pid" INT
}

# ------------------------------------------------------------ charon
# rk_sw_conf DIR [FRAGMENT_SIZE]: DIR/strongswan.conf from the template
rk_sw_conf() {
    local dir=$1 frag=${2:-1280}
    mkdir -p "$dir/run"
    sed -e "s|@DIR@|$dir|g" -e "s|@FRAGMENT_SIZE@|$frag|g" \
        "${RK_SW_CONF_IN:-$RK_HERE/conf/strongswan.conf.in}" >"$dir/strongswan.conf"
}

# rk_sw_start DIR: charon in strongSwan's namespace, in a mount namespace
# of its own (its pid file lands in DIR/run)
rk_sw_start() {
    local dir=$1 n
    rm -f "$dir/charon.vici"
    rk_bg "$dir/charon.pid" env STRONGSWAN_CONF="$dir/strongswan.conf" \
        ip netns exec "$RK_NS_S" unshare -m sh -c \
        'mount --bind "$1/run" /run && exec "$2"' sh "$dir" "$RK_CHARON" \
        >"$dir/charon.out" 2>&1
    for n in $(seq 100); do
        [ -S "$dir/charon.vici" ] && return 0
        sleep 0.05
    done
    rk_die "charon did not open its VICI socket: $(tail -3 "$dir/charon.out")"
}

rk_sw_stop() { rk_stop "$1/charon.pid" TERM; }

# rk_swanctl DIR COMMAND ARGS...
rk_swanctl() {
    local dir=$1 cmd=$2; shift 2
    STRONGSWAN_CONF="$dir/strongswan.conf" swanctl "$cmd" --uri "unix://$dir/charon.vici" "$@"
}

# rk_sw_load DIR NAME=VALUE...: DIR/swanctl.conf from the template, loaded.
# PSK=secret makes the secrets section; KEY=file (a private key) and
# INTERMEDIATE=file (a CA certificate charon may send) go into the
# private/ and x509ca/ directories swanctl loads from.
rk_sw_load() {
    local dir=$1; shift
    local subst=() kv psk=""
    for kv in "$@"; do
        case $kv in
            PSK=*) psk=${kv#PSK=} ;;
            KEY=*) mkdir -p "$dir/private" && cp "${kv#KEY=}" "$dir/private/" ;;
            INTERMEDIATE=*) mkdir -p "$dir/x509ca" && cp "${kv#INTERMEDIATE=}" "$dir/x509ca/" ;;
            *) subst+=(-e "s|@${kv%%=*}@|${kv#*=}|g") ;;
        esac
    done
    sed "${subst[@]}" "${RK_SWANCTL_IN:-$RK_HERE/conf/swanctl.conf.in}" | grep -v '@SKIP@' >"$dir/swanctl.conf"
    if grep -q '@[A-Z_]*@' "$dir/swanctl.conf"; then
        rk_die "unfilled template fields: $(grep -o '@[A-Z_]*@' "$dir/swanctl.conf" | sort -u | tr '\n' ' ')"
    fi
    {
        echo "secrets {"
        [ -n "$psk" ] && printf '    ike-rk {\n        secret = "%s"\n    }\n' "$psk"
        echo "}"
    } >>"$dir/swanctl.conf"
    rk_swanctl "$dir" --load-all --file "$dir/swanctl.conf" >"$dir/load.log" 2>&1 \
        || rk_die "swanctl --load-all: $(cat "$dir/load.log")"
}

# ------------------------------------------------------------ PKI
# rk_pki DIR ecdsa|rsa4096: a CA (and for rsa4096 an intermediate CA) and
# end-entity certificates for rike.test and sw.test (subjectAltName DNS),
# made with openssl now. Files: ca.pem, [int.pem], {rike,sw}.{key,pem},
# rike-chain.pem (end entity first).
rk_pki() {
    local dir=$1 kind=$2 newkey days=2
    mkdir -p "$dir"
    case $kind in
        ecdsa) newkey=(-newkey ec -pkeyopt ec_paramgen_curve:P-256) ;;
        rsa4096) newkey=(-newkey rsa:4096) ;;
        *) rk_die "unknown PKI kind $kind" ;;
    esac
    (
        cd "$dir" || exit 1
        openssl req -x509 "${newkey[@]}" -nodes -keyout ca.key -out ca.pem -days $days \
            -subj "/O=rike interop/CN=rike test root" \
            -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
        local issuer=ca
        if [ "$kind" = rsa4096 ]; then
            openssl req "${newkey[@]}" -nodes -keyout int.key -out int.csr \
                -subj "/O=rike interop/CN=rike test intermediate"
            printf 'basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\n' >int.ext
            openssl x509 -req -in int.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days $days \
                -extfile int.ext -out int.pem
            issuer=int
        fi
        local who
        for who in rike sw; do
            openssl req "${newkey[@]}" -nodes -keyout "$who.key" -out "$who.csr" \
                -subj "/O=rike interop/CN=$who.test"
            printf 'subjectAltName=DNS:%s.test\nkeyUsage=critical,digitalSignature\n' "$who" >"$who.ext"
            openssl x509 -req -in "$who.csr" -CA "$issuer.pem" -CAkey "$issuer.key" \
                -CAcreateserial -days $days -extfile "$who.ext" -out "$who.pem"
        done
        if [ "$kind" = rsa4096 ]; then
            cat rike.pem int.pem >rike-chain.pem
            cat sw.pem int.pem >sw-chain.pem
        else
            cp rike.pem rike-chain.pem
            cp sw.pem sw-chain.pem
        fi
    ) >"$dir/openssl.log" 2>&1 || rk_die "openssl: $(tail -3 "$dir/openssl.log")"
}

# ------------------------------------------------------------ libreswan
# libreswan 4.10 conflicts with the strongSwan packages, so it is not
# installed: its .deb is unpacked under $RK_LS_ROOT (rk_ls_unpack; .ci/run
# does it too). pluto execs /usr/libexec/ipsec/addconn, so its mount
# namespace gets the unpacked directory mounted there.
RK_LS_ROOT=${RK_LS_ROOT:-/opt/libreswan}
RK_LS_BIN=$RK_LS_ROOT/usr/libexec/ipsec

rk_ls_available() { [ -x "$RK_LS_BIN/pluto" ] && command -v certutil >/dev/null; }

# rk_ls_conf DIR NAME=VALUE...: DIR/ipsec.conf, ipsec.secrets (PSK=...),
# an empty NSS database
rk_ls_conf() {
    local dir=$1; shift
    local subst=(-e "s|@DIR@|$dir|g") kv psk="" ids=""
    for kv in "$@"; do
        case $kv in
            PSK=*) psk=${kv#PSK=} ;;
            *) subst+=(-e "s|@${kv%%=*}@|${kv#*=}|g") ;;
        esac
        case $kv in LOCAL_ID=* | REMOTE_ID=*) ids="$ids @${kv#*=}" ;; esac
    done
    mkdir -p "$dir/run" "$dir/nss"
    sed "${subst[@]}" "${RK_LS_CONF_IN:-$RK_HERE/conf/ipsec.conf.in}" >"$dir/ipsec.conf"
    printf '%s : PSK "%s"\n' "${ids# }" "$psk" >"$dir/ipsec.secrets"
    chmod 600 "$dir/ipsec.secrets"
    certutil -N -d "sql:$dir/nss" --empty-password >/dev/null 2>&1 || rk_die "certutil -N failed"
}

# rk_ls_start DIR: pluto in strongSwan's namespace (the peer's side)
rk_ls_start() {
    local dir=$1 n
    mkdir -p /usr/libexec/ipsec
    rk_bg "$dir/pluto.pid" ip netns exec "$RK_NS_S" unshare -m sh -c \
        'mount --bind "$1/run" /run && mount --bind "$2" /usr/libexec/ipsec && exec "$2/pluto" --nofork \
            --config "$1/ipsec.conf" --rundir "$1/run" --nssdir "$1/nss" \
            --secretsfile "$1/ipsec.secrets" --ipsecdir "$1"' sh "$dir" "$RK_LS_BIN" \
        >"$dir/pluto.out" 2>&1
    for n in $(seq 100); do
        [ -S "$dir/run/pluto.ctl" ] && break
        sleep 0.05
    done
    [ -S "$dir/run/pluto.ctl" ] || rk_die "pluto did not start: $(tail -3 "$dir/pluto.out")"
    "$RK_LS_BIN/addconn" --config "$dir/ipsec.conf" --ctlsocket "$dir/run/pluto.ctl" rk \
        >"$dir/addconn.log" 2>&1 || rk_die "addconn: $(cat "$dir/addconn.log")"
    rk_whack "$dir" --listen >/dev/null 2>&1
    rk_whack "$dir" --rereadsecrets >/dev/null 2>&1
}

rk_ls_stop() { rk_stop "$1/pluto.pid" TERM; }

rk_whack() {
    local dir=$1; shift
    "$RK_LS_BIN/whack" --ctlsocket "$dir/run/pluto.ctl" "$@"
}

# rk_ls_unpack: the libreswan .deb unpacked under $RK_LS_ROOT, with the
# libraries it needs installed (idempotent)
rk_ls_unpack() {
    rk_ls_available && return 0
    local tmp
    tmp=$(mktemp -d)
    chmod 755 "$tmp"
    (cd "$tmp" && { apt-get download libreswan >/dev/null 2>&1 \
        || { apt-get -o DPkg::Lock::Timeout=600 update -q >/dev/null && apt-get download libreswan >/dev/null; }; }) \
        || { rm -rf "$tmp"; return 1; }
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -q \
        --no-install-recommends libnss3-tools libnss3 libnspr4 libevent-core-2.1-7 \
        libevent-pthreads-2.1-7 libunbound8 libldns3 libcurl3-nss libldap-2.5-0 libcap-ng0 \
        libaudit1 libpam0g libselinux1 libsystemd0 >/dev/null || { rm -rf "$tmp"; return 1; }
    mkdir -p "$RK_LS_ROOT"
    dpkg-deb -x "$tmp"/libreswan_*.deb "$RK_LS_ROOT"
    rm -rf "$tmp"
    rk_ls_available
}
