#!/bin/bash
# tests/interop/riked.sh [-o OUTDIR] [-k] [SCENARIO...]
#
# riked (examples/riked, the reference C daemon on rike's C API) against
# strongSwan's charon, and against itself over RFC 8229 TCP, in the
# network namespaces of lib.sh (whose helpers it uses: namespaces,
# capture, charon, swanctl, PKI). The strongSwan scenarios are checked by
# check.py, as for `rike connect/listen`: charon lists the IKE and Child SA
# with the SPIs and algorithms riked reported, every key riked exported
# equals charon's, tshark decrypts the IKE messages and the ESP that
# charon's kernel-libipsec sends through the tunnel (a ping) with riked's
# exported tables. Then riked gets SIGTERM: it must delete its SAs (charon
# lists none) and exit 0. The riked-v1-* scenarios do the same with an
# IKEv1 peer ("ikev1 yes": Main Mode PSK + Quick Mode with PFS; -aggr:
# Aggressive Mode) against charon with version = 1 (v1.sh's connection),
# checked by check_v1.py: riked's ikev1_decryption_table and key log are
# charon's keys and decrypt the capture.
#
#   RIKED_BIN  the riked binary (default: built here from a release
#              librike installed with tools/install-capi.sh)
#   RIKE_BIN   the rike binary, for `rike dissect --keys` checks (optional)
#   -o OUTDIR  keep every scenario's files there; -k keep them on success
#
# Needs root, charon and swanctl (see README.md), dumpcap/tshark, iproute2,
# ping, openssl, python3, cc, pkg-config; for riked-tcp also what the
# Wireshark plugin build needs (tests/plugin/run.sh), else that check is
# skipped with a notice. Ends with "riked interop: N passed, M failed".
#
# SPDX-License-Identifier: MIT OR Apache-2.0

set -u
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
. "$HERE/lib.sh"
# v1_settings and v1_charon_up: charon's IKEv1 connection
. "$HERE/v1.sh"

OUT="" KEEP=0
while getopts "o:k" opt; do
    case $opt in
        o) OUT=$OPTARG ;;
        k) KEEP=1 ;;
        *) exit 2 ;;
    esac
done
shift $((OPTIND - 1))

ALL="riked-psk-i riked-psk-r riked-cbc-i riked-ecdsa-i riked-ecdsa-r riked-extkey-r riked-rekey-i riked-tcp
     riked-v1-psk-i riked-v1-psk-r riked-v1-aggr-i"
SCENARIOS=${*:-$ALL}
PSK=${PSK:-riked-interop-psk-0123456789}

[ "$(id -u)" = 0 ] || rk_die "needs root (network namespaces)"
for tool in "$RK_CHARON" swanctl ip ping dumpcap tshark openssl python3 cc pkg-config; do
    command -v "$tool" >/dev/null || rk_die "missing $tool"
done

if [ -z "$OUT" ]; then OUT=$(mktemp -d /tmp/riked-interop.XXXXXX); else mkdir -p "$OUT"; fi
OUT=$(cd "$OUT" && pwd)

# riked, built against the installed library as a user would build it.
if [ -z "${RIKED_BIN:-}" ]; then
    (cd "$REPO" && "${CARGO:-cargo}" build -q --release --lib) || rk_die "cargo build --release failed"
    bash "$REPO/tools/install-capi.sh" "$OUT/prefix" >/dev/null || rk_die "install-capi.sh failed"
    # shellcheck disable=SC2046
    cc -std=c11 -Wall -Wextra -Werror -pedantic -O2 -g \
        "$REPO"/examples/riked/{riked,conf,xfrm}.c \
        $(PKG_CONFIG_PATH=$OUT/prefix/lib/pkgconfig pkg-config --cflags --libs rike) \
        -Wl,-rpath,"$OUT/prefix/lib" -o "$OUT/riked" || rk_die "riked did not build"
    RIKED_BIN=$OUT/riked
fi
[ -x "$RIKED_BIN" ] || rk_die "no riked at $RIKED_BIN"
if [ -z "${RIKE_BIN:-}" ]; then
    t=${CARGO_TARGET_DIR:-$REPO/target}/release/rike
    [ -x "$t" ] && RIKE_BIN=$t
fi

trap rk_cleanup EXIT
rk_net_up || rk_die "could not make the network namespaces"

# scenario NAME -> settings
settings() {
    ROLE=${1##*-} IKE=aes256gcm16-prfsha256-x25519 ESP=aes256gcm16 AUTH=psk PKI="" EXT=no
    ACT="" CHECK="" V1=no
    case ${1%-*} in
        riked-v1-psk | riked-v1-aggr)
            V1=yes
            v1_settings "${1#riked-}" || return 1
            IKE=$V1_IKE ESP=$V1_ESP ;;
        riked-psk) ;;
        riked-cbc) IKE=aes128-sha256-modp2048 ESP=aes128-sha256 ;;
        riked-ecdsa) IKE=aes128gcm16-prfsha256-ecp256 ESP=aes128gcm16 AUTH=pubkey PKI=ecdsa ;;
        riked-extkey) IKE=aes128gcm16-prfsha256-ecp256 ESP=aes128gcm16 AUTH=pubkey PKI=ecdsa EXT=yes ;;
        riked-rekey) ESP=aes256gcm16-x25519 ACT=rekey CHECK="--child-rekeys 1 --ike-rekeys 1" ;;
        riked) [ "$1" = riked-tcp ] || return 1 ;;
        *) return 1 ;;
    esac
}

# riked's configuration for one side. Args: DIR LOCAL REMOTE LOCAL_TS
# REMOTE_TS LOCAL_ID REMOTE_ID AUTO [EXTRA PEER LINES...]
riked_conf() {
    local dir=$1 local=$2 remote=$3 lts=$4 rts=$5 lid=$6 rid=$7 auto=$8
    shift 8
    {
        echo "listen $local"
        echo "keys $dir/keys"
        echo "peer peer {"
        [ "$auto" = start ] && echo "    remote $remote"
        echo "    local_id $lid"
        echo "    remote_id $rid"
        if [ "$AUTH" = psk ]; then
            echo "    psk \"$PSK\""
        else
            local pki=$OUT/pki-$PKI
            echo "    key $pki/rike.key"
            echo "    external_key $EXT"
            echo "    cert $pki/rike-chain.pem"
            echo "    ca $pki/ca.pem"
        fi
        echo "    ike $IKE"
        echo "    auto $auto"
        local l
        for l in "$@"; do echo "    $l"; done
        echo "    child net {"
        echo "        local_ts $lts/32"
        echo "        remote_ts $rts/32"
        echo "        esp $ESP"
        echo "    }"
        echo "}"
    } >"$dir/riked.conf"
}

charon_up() {
    local dir=$1 sw=$1/sw
    if [ "$V1" = yes ]; then
        export RIKE_XAUTH_PW=${RIKE_XAUTH_PW:-xauth-$PSK}
        v1_charon_up "$dir"
        return
    fi
    rk_sw_conf "$sw" 1280
    rk_sw_start "$sw"
    local creds=(AUTH=psk CERT=@SKIP@ CA=@SKIP@ "PSK=$PSK")
    if [ "$AUTH" = pubkey ]; then
        local pki=$OUT/pki-$PKI
        creds=(AUTH=pubkey "CERT=$pki/sw.pem" "CA=$pki/ca.pem" "KEY=$pki/sw.key")
    fi
    rk_sw_load "$sw" "LOCAL=$RK_IP_S" "REMOTE=$RK_IP_R" "LOCAL_TS=$RK_TS_S" "REMOTE_TS=$RK_TS_R" \
        LOCAL_ID=sw.test REMOTE_ID=rike.test "IKE=$IKE" "ESP=$ESP" "${creds[@]}"
}

esp_ping() {
    ip netns exec "$RK_NS_S" ping -n -c 2 -i 0.2 -w 1 -I "$RK_TS_S" "$RK_TS_R" >/dev/null 2>&1
    return 0
}

step() { echo "$*" >>"$DIR/steps.log"; }

run_strongswan() {
    local dir=$1 sw=$1/sw rc=0
    charon_up "$dir"
    local auto=add
    [ "$ROLE" = i ] && auto=start
    local extra=()
    if [ "$V1" = yes ]; then
        extra=("ikev1 yes")
        [ "$V1_AGGR" = yes ] && extra+=("aggressive yes")
    fi
    riked_conf "$dir" "$RK_IP_R" "$RK_IP_S" "$RK_TS_R" "$RK_TS_S" rike.test sw.test $auto "${extra[@]}"
    rk_cap_start "$dir/capture.pcapng"
    rk_bg "$dir/riked.pid" ip netns exec "$RK_NS_R" "$RIKED_BIN" -c "$dir/riked.conf" 2>"$dir/rike.log"
    rk_wait_for "$dir/rike.log" "listening on" 5 || step "riked did not start"
    if [ "$ROLE" = r ]; then
        rk_swanctl "$sw" --initiate --child rk --timeout 20 >>"$dir/steps.log" 2>&1 \
            || step "swanctl --initiate failed"
    fi
    rk_wait_for "$dir/rike.log" "Child SA .* up" 20 || step "riked saw no Child SA"
    if [ "$ACT" = rekey ]; then
        sleep 0.3
        rk_stop_signal USR1 "$dir/riked.pid"
        rk_wait_for "$dir/rike.log" "Child SA .* rekeyed: now" 10 || step "no Child SA rekey"
        rk_wait_for "$dir/rike.log" "Child SA .* down .*rekeyed" 10 || step "old Child SA not deleted"
        rk_stop_signal USR2 "$dir/riked.pid"
        rk_wait_for "$dir/rike.log" "IKE SA .* rekeyed: now" 10 || step "no IKE SA rekey"
        rk_wait_for "$dir/rike.log" "IKE SA .* down: rekeyed" 10 || step "old IKE SA not deleted"
    fi
    esp_ping
    rk_swanctl "$sw" --list-sas >"$dir/sas.txt" 2>&1
    # Clean shutdown: riked deletes its SAs, then exits.
    local pid n
    pid=$(cat "$dir/riked.pid")
    kill -TERM "$pid"
    for n in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
    if kill -0 "$pid" 2>/dev/null; then
        step "riked did not exit after SIGTERM"
        rk_stop "$dir/riked.pid" KILL
        rc=1
    else
        wait "$pid"
        local x=$?
        step "riked exited $x after SIGTERM"
        [ $x = 0 ] || rc=1
        rm -f "$dir/riked.pid"
    fi
    rk_swanctl "$sw" --list-sas >"$dir/sas-after.txt" 2>&1
    rk_cap_stop "$dir/capture.pcapng"
    rk_sw_stop "$sw"
    cp "$sw/charon.log" "$dir/charon.log"
    local rike=()
    [ -n "${RIKE_BIN:-}" ] && rike=(--rike "$RIKE_BIN")
    if [ "$V1" = yes ]; then
        python3 "$HERE/check_v1.py" "$dir" --esp --role "$ROLE" "${rike[@]}" >"$dir/check.log" 2>&1 || rc=1
    else
        # shellcheck disable=SC2086
        python3 "$HERE/check.py" "$dir" $CHECK --esp --ids rike.test,sw.test "${rike[@]}" \
            >"$dir/check.log" 2>&1 || rc=1
    fi
    {
        if [ "$V1" = yes ]; then
            # The ikev1_decryption_table line is the key log's ISAKMP SA key.
            local cky key
            cky=$(sed -n 's/^ikev1 cky_i=\([0-9a-f]*\) .* key=\([0-9a-f]*\) .*/\1,\2/p' "$dir/keys/rike.keys")
            [ -n "$cky" ] && [ "$(cat "$dir/keys/ikev1_decryption_table" 2>/dev/null)" = "$cky" ] \
                && echo "  ok    riked's ikev1_decryption_table holds the ISAKMP SA's key ($cky)" \
                || echo "  FAIL  ikev1_decryption_table: '$(head -c 200 "$dir/keys/ikev1_decryption_table" 2>/dev/null)', key log '$cky'"
            [ -s "$dir/keys/ikev2_decryption_table" ] \
                && echo "  FAIL  riked wrote IKEv2 keys for an IKEv1 peer" \
                || echo "  ok    no IKEv2 keys written"
        fi
        grep -q "all SAs deleted" "$dir/rike.log" && echo "  ok    riked deleted its SAs on SIGTERM" \
            || echo "  FAIL  riked did not report its SAs deleted on SIGTERM"
        grep -qE "ESTABLISHED|INSTALLED" "$dir/sas-after.txt" \
            && echo "  FAIL  charon still lists an SA after riked's shutdown" \
            || echo "  ok    charon lists no SA after riked's shutdown"
        grep -q "the kernel has no ESP support\|installed in the kernel" "$dir/rike.log" \
            && echo "  ok    riked said whether the kernel took the Child SA: $(grep -o 'the kernel has no ESP support\|installed in the kernel' "$dir/rike.log" | head -1)" \
            || echo "  FAIL  riked said nothing about installing the Child SA"
        if [ "$EXT" = yes ]; then
            grep -q "signature requested .*: ok" "$dir/rike.log" \
                && echo "  ok    riked answered SIGN_REQUEST with its external key" \
                || echo "  FAIL  no SIGN_REQUEST answered"
        fi
    } >>"$dir/check.log"
    grep -q "^  FAIL  " "$dir/check.log" && rc=1
    return $rc
}

rk_stop_signal() { kill "-$1" "$(cat "$2")" 2>/dev/null; }

# riked <-> riked over RFC 8229 TCP: A (rike's namespace) connects to B's
# TCP 4500 listener (strongSwan's namespace). Both must report the SAs with
# mirrored SPIs and equal keys; the capture must dissect as IKE with the
# Wireshark plugin (the built-in dissector shows plain TCP).
run_tcp() {
    local dir=$1 rc=0 a=$1/a b=$1/b
    mkdir -p "$a" "$b"
    riked_conf "$a" "$RK_IP_R" "$RK_IP_S" "$RK_TS_R" "$RK_TS_S" rike.test peer.test start "transport tcp"
    riked_conf "$b" "$RK_IP_S" "$RK_IP_R" "$RK_TS_S" "$RK_TS_R" peer.test rike.test add
    sed -i '1a tcp yes' "$b/riked.conf"
    rk_bg "$dir/cap.pid" ip netns exec "$RK_NS_R" dumpcap -q -i "$RK_VETH_R" -f tcp -w "$dir/capture.pcapng" \
        2>"$dir/cap.log"
    rk_wait_for "$dir/cap.log" "Capturing on" 5 || rk_die "dumpcap did not start"
    sleep 0.5
    rk_bg "$b/riked.pid" ip netns exec "$RK_NS_S" "$RIKED_BIN" -c "$b/riked.conf" 2>"$b/riked.log"
    rk_wait_for "$b/riked.log" "TCP 4500" 5 || step "riked B did not listen on TCP"
    rk_bg "$a/riked.pid" ip netns exec "$RK_NS_R" "$RIKED_BIN" -c "$a/riked.conf" 2>"$a/riked.log"
    rk_wait_for "$a/riked.log" "Child SA .* up" 10 || step "riked A saw no Child SA"
    rk_wait_for "$b/riked.log" "Child SA .* up" 10 || step "riked B saw no Child SA"
    rk_stop_signal USR1 "$a/riked.pid"
    rk_wait_for "$b/riked.log" "Child SA .* rekeyed: now" 10 || step "no Child SA rekey over TCP"
    sleep 0.3
    rk_stop "$a/riked.pid" TERM
    rk_wait_for "$b/riked.log" "IKE SA .* down: deleted by the peer" 5 || step "B did not see the delete"
    rk_stop "$b/riked.pid" TERM
    sleep 0.3
    rk_stop "$dir/cap.pid" INT
    {
        local la lb
        la=$(grep -oE "SPIs [0-9a-f]{16}_i [0-9a-f]{16}_r" "$a/riked.log" | head -1)
        lb=$(grep -oE "SPIs [0-9a-f]{16}_i [0-9a-f]{16}_r" "$b/riked.log" | head -1)
        [ -n "$la" ] && [ "$la" = "$lb" ] && echo "  ok    both report the IKE SA ($la)" \
            || echo "  FAIL  IKE SAs: A '$la', B '$lb'"
        grep -q "RFC 8229 stream to" "$a/riked.log" && grep -q "TCP stream from .* accepted" "$b/riked.log" \
            && echo "  ok    A connected over TCP, B accepted" || echo "  FAIL  no TCP stream"
        local ca cb
        ca=$(grep -oE "Child SA net #[0-9]+ up \(IKE SA [0-9]+\): SPIs [0-9a-f]{8}_i [0-9a-f]{8}_o" "$a/riked.log" \
            | grep -oE "[0-9a-f]{8}_i [0-9a-f]{8}_o")
        cb=$(grep -oE "Child SA net #[0-9]+ up \(IKE SA [0-9]+\): SPIs [0-9a-f]{8}_i [0-9a-f]{8}_o" "$b/riked.log" \
            | grep -oE "[0-9a-f]{8}_i [0-9a-f]{8}_o")
        # A's inbound SPI is B's outbound one and the other way round.
        local ai=${ca%%_i*} ao=${ca##* } bi=${cb%%_i*} bo=${cb##* }
        [ -n "$ca" ] && [ "$ai" = "${bo%_o}" ] && [ "${ao%_o}" = "$bi" ] \
            && echo "  ok    Child SA SPIs mirrored ($ca / $cb)" || echo "  FAIL  Child SAs: A '$ca', B '$cb'"
        cmp -s <(sort "$a/keys/ikev2_decryption_table") <(sort "$b/keys/ikev2_decryption_table") \
            && [ -s "$a/keys/ikev2_decryption_table" ] \
            && echo "  ok    IKE SA keys equal on both sides" || echo "  FAIL  IKE SA keys differ"
        cmp -s <(sort "$a/keys/esp_sa") <(sort "$b/keys/esp_sa") && [ "$(wc -l <"$a/keys/esp_sa")" = 4 ] \
            && echo "  ok    ESP SA keys equal on both sides (2 Child SAs)" || echo "  FAIL  ESP SA keys differ"
        grep -q "all SAs deleted" "$a/riked.log" && echo "  ok    A deleted its SAs on SIGTERM" \
            || echo "  FAIL  A did not delete its SAs"
        grep -q "runs in the RFC 8229 TCP stream: riked does not install" "$a/riked.log" \
            && echo "  ok    A did not put the TCP-carried Child SA into XFRM as ESP in UDP" \
            || echo "  FAIL  A said nothing about the TCP-carried Child SA"
    } >"$dir/check.log"
    # The plugin dissects the TCP capture as IKE, and decrypts it with the
    # keys A exported (key file preference of the plugin).
    local plug=$OUT/plugin
    if [ -d "$plug/plugins" ] || bash "$REPO/tests/plugin/run.sh" build "$plug" >"$OUT/plugin-build.log" 2>&1; then
        # tshark runs as nobody (root's tshark ignores plugin directories):
        # it must reach the capture, the key log and the plugin.
        chmod 755 "$OUT" "$dir" "$a" "$a/keys"
        chmod 644 "$dir/capture.pcapng" "$a/keys/"*
        bash "$REPO/tests/plugin/run.sh" tshark "$plug" -n -r "$dir/capture.pcapng" -o "rike.keys_file:$a/keys/rike.keys" \
            -T fields -e frame.number -e rike.exchangetype -e rike.enc.decrypted >"$dir/plugin.txt" 2>"$dir/plugin.err"
        local n_ike n_enc n_dec
        n_ike=$(awk -F'\t' '$2 != ""' "$dir/plugin.txt" | wc -l)
        n_enc=$(awk -F'\t' '$2 ~ /^(35|36|37)/' "$dir/plugin.txt" | wc -l)
        n_dec=$(awk -F'\t' '$2 ~ /^(35|36|37)/ && $3 != ""' "$dir/plugin.txt" | wc -l)
        {
            [ "$n_ike" -ge 6 ] && echo "  ok    the plugin dissects $n_ike TCP frames as IKE" \
                || echo "  FAIL  the plugin dissects $n_ike TCP frames as IKE ($(head -c 300 "$dir/plugin.err"))"
            [ "$n_enc" -gt 0 ] && [ "$n_dec" = "$n_enc" ] \
                && echo "  ok    and decrypts all $n_enc encrypted ones with riked's key log" \
                || echo "  FAIL  decrypted $n_dec of $n_enc encrypted IKE messages"
        } >>"$dir/check.log"
        tshark -n -r "$dir/capture.pcapng" -Y isakmp 2>/dev/null | grep -q . \
            && echo "  note  the built-in dissector found IKE in the TCP capture too" >>"$dir/check.log"
    else
        echo "  skip  the Wireshark plugin could not be built (see $OUT/plugin-build.log)" >>"$dir/check.log"
    fi
    grep -q "^  FAIL  " "$dir/check.log" && rc=1
    return $rc
}

report() {
    local name=$1 dir=$2 rc=$3 t0=$4
    if [ $rc = 0 ]; then
        rk_log "PASS $name ($((SECONDS - t0)) s)"
    else
        rk_log "FAIL $name ($((SECONDS - t0)) s): see $dir"
        sed 's/^/    /' "$dir/steps.log" 2>/dev/null >&2
        grep -E "^  FAIL  |Traceback|Error" "$dir/check.log" | sed 's/^/    /' >&2
    fi
}

passed=0 failed=0 failures=""
for s in $SCENARIOS; do
    t0=$SECONDS
    DIR=$OUT/$s
    rm -rf "$DIR"
    mkdir -p "$DIR"
    if ! settings "$s"; then
        rk_log "unknown scenario $s"
        failed=$((failed + 1)) failures="$failures $s"
        continue
    fi
    if [ -n "$PKI" ] && [ ! -f "$OUT/pki-$PKI/ca.pem" ]; then
        rk_pki "$OUT/pki-$PKI" "$PKI"
    fi
    if [ "$s" = riked-tcp ]; then
        run_tcp "$DIR"
    else
        run_strongswan "$DIR"
    fi
    rc=$?
    report "$s" "$DIR" $rc $t0
    if [ $rc = 0 ]; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1)) failures="$failures $s"
    fi
done
[ $failed = 0 ] || rk_log "failed:$failures (files in $OUT)"
if [ $failed = 0 ] && [ $KEEP = 0 ]; then rm -rf "$OUT"; fi
echo "riked interop: $passed passed, $failed failed"
[ $failed = 0 ]
