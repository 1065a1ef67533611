#!/bin/bash
# tests/interop/run.sh [-o OUTDIR] [-k] [SCENARIO...]
#
# rike (rike connect / rike listen) against strongSwan's charon in two
# network namespaces; see README.md beside this file. Needs root, charon
# (strongswan-charon, -swanctl, libstrongswan-standard/extra-plugins,
# libcharon-extra-plugins for kernel-libipsec), iproute2, ping, dumpcap and
# tshark, openssl, python3.
#
#   RIKE_BIN   the rike binary (default: cargo build, then target/debug/rike)
#   -o OUTDIR  keep every scenario's files there (default: a temporary
#              directory, removed when all passed)
#   -k         keep OUTDIR even when all passed
#
# Ends with a line "N passed, M failed"; exits non-zero when one failed.

set -u
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
. "$HERE/lib.sh"
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

ALL="psk-gcm-i psk-gcm-r psk-cbc-i psk-cbc-r ecdsa-i ecdsa-r rekey-child-i rekey-child-r
     rekey-ike-i rekey-ike-r delete-i delete-r frag-i frag-r invalid-ke-i invalid-ke-r dpd-i
     bad-psk-i bad-psk-r tcp-i
     ls-gcm-i ls-cbc-r $V1_ALL"
SCENARIOS=${*:-$ALL}

[ "$(id -u)" = 0 ] || rk_die "needs root (network namespaces)"
for tool in "$RK_CHARON" swanctl ip ping dumpcap tshark openssl python3; do
    command -v "$tool" >/dev/null || rk_die "missing $tool"
done
if [ -z "${RIKE_BIN:-}" ]; then
    (cd "$REPO" && cargo build -q --bin rike) || rk_die "cargo build failed"
    RIKE_BIN=${CARGO_TARGET_DIR:-$REPO/target}/debug/rike
fi
[ -x "$RIKE_BIN" ] || rk_die "no rike binary at $RIKE_BIN"

if [ -z "$OUT" ]; then OUT=$(mktemp -d /tmp/rike-interop.XXXXXX); else mkdir -p "$OUT"; fi
OUT=$(cd "$OUT" && pwd)
trap rk_cleanup EXIT
rk_net_up || rk_die "could not make the network namespaces"

PSK="rike-interop-$(od -An -tx1 -N8 /dev/urandom | tr -d ' \n')"
export RIKE_PSK=$PSK
GCM_IKE=aes256gcm16-prfsha256-x25519
GCM_ESP=aes256gcm16

# scenario NAME -> settings (role, proposals, credentials, actions)
settings() {
    ROLE=${1##*-} IKE=$GCM_IKE ESP=$GCM_ESP AUTH=psk PKI="" MTU=1280 ACT="" CHECK="" PEER=sw
    RIKE_IKE="" SW_IKE="" SW_PSK=$PSK PEER_ID=sw.test
    case ${1%-*} in
        # libreswan (IKE SA only: it cannot install a Child SA on a kernel
        # without ESP, so it refuses or deletes the Child SA)
        ls-gcm) PEER=ls PEER_ID=ls.test LS_IKE="aes_gcm256-sha2_256;dh31" LS_ESP=aes_gcm256 ;;
        ls-cbc) PEER=ls PEER_ID=ls.test IKE=aes128-sha256-modp2048 ESP=aes128-sha256 \
            LS_IKE="aes128-sha2_256;modp2048" LS_ESP=aes128-sha2_256 ;;
        psk-gcm) ;;
        psk-cbc) IKE=aes128-sha256-modp2048 ESP=aes128-sha256 ;;
        ecdsa) IKE=aes128gcm16-prfsha256-ecp256 ESP=aes128gcm16 AUTH=pubkey PKI=ecdsa ;;
        rekey-child) ESP=aes256gcm16-x25519 ACT=rekey-child CHECK="--child-rekeys 1" ;;
        rekey-ike) ACT=rekey-ike CHECK="--ike-rekeys 1" ;;
        delete) ACT=delete CHECK="--deleted" ;;
        # the responder wants another key exchange method than the
        # initiator's first choice: INVALID_KE_PAYLOAD, then a retry
        invalid-ke) if [ "$ROLE" = i ]; then
                RIKE_IKE="aes256gcm16-prfsha256-ecp256,$GCM_IKE"
            else
                SW_IKE="aes256gcm16-prfsha256-ecp256,$GCM_IKE"
            fi
            CHECK="--invalid-ke" ;;
        # liveness checks (RFC 7296 §2.4) every 0.3 s of silence
        dpd) ACT=dpd CHECK="--liveness 2" ;;
        # rike against rike over TCP (RFC 8229; strongSwan 5.9 has no TCP
        # and libreswan's needs kernel support): rekeys and a delete
        tcp) PEER=rike PEER_ID=rike-peer.test CHECK="--child-rekeys 1 --ike-rekeys 1" ;;
        # charon has another PSK: rike must fail, and say why
        bad-psk) SW_PSK="not-$PSK" ;;
        frag) AUTH=pubkey PKI=rsa4096 MTU=576 CHECK="--fragments" ;;
        *) return 1 ;;
    esac
}

# rike's options for this scenario (role-independent part)
rike_opts() {
    local dir=$1 name=$2
    OPTS=(--local "$RK_IP_R" --remote "$RK_IP_S" --local-id rike.test --remote-id "$PEER_ID"
          --ike "${RIKE_IKE:-$IKE}" --esp "$ESP" --local-ts "$RK_TS_R" --remote-ts "$RK_TS_S"
          --mtu "$MTU" --once --keylog "$dir/keys")
    if [ "$name" = psk-cbc-r ]; then
        printf '%s\n' "$PSK" >"$dir/psk"
        OPTS+=(--psk-file "$dir/psk")
    elif [ "$AUTH" = psk ]; then
        OPTS+=(--psk-env RIKE_PSK)
    else
        local pki=$OUT/pki-$PKI
        OPTS+=(--cert "$pki/rike-chain.pem" --key "$pki/rike.key" --ca "$pki/ca.pem")
    fi
    # psk-cbc-i reads its options from an option file
    if [ "$name" = psk-cbc-i ]; then
        local i
        for ((i = 0; i < ${#OPTS[@]}; i++)); do
            case ${OPTS[$i]} in
                --once) echo "once = yes" ;;
                --*) echo "${OPTS[$i]#--} = ${OPTS[$((i + 1))]}"; i=$((i + 1)) ;;
            esac
        done >"$dir/rike.conf"
        OPTS=(--config "$dir/rike.conf")
    fi
}

# charon's side of the scenario: config, start, load
charon_up() {
    local dir=$1 sw=$1/sw frag=$MTU
    rk_sw_conf "$sw" "$frag"
    rk_sw_start "$sw"
    local creds=(AUTH=psk CERT=@SKIP@ CA=@SKIP@ "PSK=$SW_PSK")
    if [ "$AUTH" = pubkey ]; then
        local pki=$OUT/pki-$PKI
        creds=(AUTH=pubkey "CERT=$pki/sw.pem" "CA=$pki/ca.pem" "KEY=$pki/sw.key")
        [ -f "$pki/int.pem" ] && creds+=("INTERMEDIATE=$pki/int.pem")
    fi
    rk_sw_load "$sw" "LOCAL=$RK_IP_S" "REMOTE=$RK_IP_R" "LOCAL_TS=$RK_TS_S" "REMOTE_TS=$RK_TS_R" \
        LOCAL_ID=sw.test REMOTE_ID=rike.test "IKE=${SW_IKE:-$IKE}" "ESP=$ESP" "${creds[@]}"
}

# ESP from charon to rike through the tunnel (rike has no data plane: no
# answers), for tshark to decrypt with rike's esp_sa
esp_ping() {
    ip netns exec "$RK_NS_S" ping -n -c 2 -i 0.2 -w 1 -I "$RK_TS_S" "$RK_TS_R" >/dev/null 2>&1
    return 0
}

run_initiator() {
    local dir=$1 rc
    local act=()
    case $ACT in
        rekey-child) act=(--rekey-child-after 0.5 --linger 1) ;;
        rekey-ike) act=(--rekey-ike-after 0.5 --linger 1) ;;
        delete) act=(--delete-after 0.5) ;;
        dpd) act=(--dpd 0.3 --linger 1.2) ;;
    esac
    timeout 40 ip netns exec "$RK_NS_R" "$RIKE_BIN" connect "${OPTS[@]}" --timeout 20 "${act[@]}" \
        2>"$dir/rike.log"
    rc=$?
    echo "rike connect exited $rc" >>"$dir/steps.log"
    [ "$ACT" = delete ] || esp_ping
    return $rc
}

run_responder() {
    local dir=$1 rc=0 sw=$1/sw
    rk_bg "$dir/rike.pid" ip netns exec "$RK_NS_R" "$RIKE_BIN" listen "${OPTS[@]}" \
        --timeout 20 --linger 30 2>"$dir/rike.log"
    rk_wait_for "$dir/rike.log" "listening on" 5 || { echo "rike did not start" >>"$dir/steps.log"; return 1; }
    rk_swanctl "$sw" --initiate --child rk --timeout 20 >>"$dir/steps.log" 2>&1 \
        || echo "swanctl --initiate failed" >>"$dir/steps.log"
    rk_wait_for "$dir/rike.log" "Child SA .* up" 5 || echo "rike saw no Child SA" >>"$dir/steps.log"
    case $ACT in
        rekey-child)
            rk_swanctl "$sw" --rekey --child rk >>"$dir/steps.log" 2>&1
            rk_wait_for "$dir/rike.log" "Child SA .* down .* rekeyed" 5 \
                || echo "no Child SA rekey seen by rike" >>"$dir/steps.log"
            ;;
        rekey-ike)
            rk_swanctl "$sw" --rekey --ike rk >>"$dir/steps.log" 2>&1
            rk_wait_for "$dir/rike.log" "IKE SA .* down: rekeyed" 5 \
                || echo "no IKE SA rekey seen by rike" >>"$dir/steps.log"
            ;;
    esac
    if [ "$ACT" != delete ]; then
        esp_ping
        rk_swanctl "$sw" --list-sas >"$dir/sas.txt" 2>&1
    fi
    # charon deletes the IKE SA; rike (--once) then exits
    rk_swanctl "$sw" --terminate --ike rk --timeout 10 >>"$dir/steps.log" 2>&1
    local pid n
    pid=$(cat "$dir/rike.pid")
    for n in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
    if kill -0 "$pid" 2>/dev/null; then
        echo "rike listen did not exit after the delete" >>"$dir/steps.log"
        rk_stop "$dir/rike.pid"
        return 1
    fi
    wait "$pid"
    rc=$?
    rm -f "$dir/rike.pid"
    echo "rike listen exited $rc" >>"$dir/steps.log"
    return $rc
}

# libreswan's side: config, start
pluto_up() {
    local dir=$1
    rk_ls_conf "$dir/ls" "LOCAL=$RK_IP_S" "REMOTE=$RK_IP_R" "LOCAL_TS=$RK_TS_S" "REMOTE_TS=$RK_TS_R" \
        LOCAL_ID=ls.test REMOTE_ID=rike.test "IKE=$LS_IKE" "ESP=$LS_ESP" "PSK=$PSK"
    rk_ls_start "$dir/ls"
}

# rike against libreswan: the IKE SA must come up; the Child SA fails on
# libreswan's side (no kernel ESP), which rike reports as a failure
# (initiator: TS_UNACCEPTABLE) or sees as a delete (responder).
run_libreswan() {
    local dir=$1 rc=0
    if [ "$ROLE" = i ]; then
        timeout 40 ip netns exec "$RK_NS_R" "$RIKE_BIN" connect "${OPTS[@]}" --timeout 20 \
            2>"$dir/rike.log"
        rc=$?
        echo "rike connect exited $rc" >>"$dir/steps.log"
        # the expected end: the IKE SA up, the Child SA refused
        if [ $rc = 1 ] && grep -q "IKE SA .* up" "$dir/rike.log" \
            && grep -q "failed: the peer answered TS_UNACCEPTABLE" "$dir/rike.log"; then
            rc=0
        fi
    else
        rk_bg "$dir/rike.pid" ip netns exec "$RK_NS_R" "$RIKE_BIN" listen "${OPTS[@]}" \
            --timeout 20 --linger 1 2>"$dir/rike.log"
        rk_wait_for "$dir/rike.log" "listening on" 5 || return 1
        timeout 20 "$RK_LS_BIN/whack" --ctlsocket "$dir/ls/run/pluto.ctl" --name rk --initiate \
            >>"$dir/steps.log" 2>&1
        local pid n
        pid=$(cat "$dir/rike.pid")
        for n in $(seq 200); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
        rk_stop "$dir/rike.pid"
        wait "$pid" 2>/dev/null
        grep -q "IKE SA .* up" "$dir/rike.log" || rc=1
    fi
    return $rc
}

# rike connect --tcp against rike listen --tcp (in charon's namespace)
run_rike_pair() {
    local dir=$1 rc pid n
    rk_bg "$dir/peer.pid" ip netns exec "$RK_NS_S" "$RIKE_BIN" listen --tcp --local "$RK_IP_S" \
        --remote "$RK_IP_R" --local-id rike-peer.test --remote-id rike.test --psk-env RIKE_PSK \
        --ike "$IKE" --esp "$ESP" --local-ts "$RK_TS_S" --remote-ts "$RK_TS_R" --once \
        --timeout 20 --linger 10 --keylog "$dir/peer-keys" 2>"$dir/peer.log"
    rk_wait_for "$dir/peer.log" "listening on TCP" 5 || { echo "peer did not start" >>"$dir/steps.log"; return 1; }
    timeout 40 ip netns exec "$RK_NS_R" "$RIKE_BIN" connect "${OPTS[@]}" --tcp --timeout 20 \
        --rekey-child-after 0.3 --rekey-ike-after 0.6 --delete-after 1 2>"$dir/rike.log"
    rc=$?
    echo "rike connect exited $rc" >>"$dir/steps.log"
    pid=$(cat "$dir/peer.pid")
    for n in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
    if kill -0 "$pid" 2>/dev/null; then
        rk_stop "$dir/peer.pid"
        echo "rike listen did not exit after the delete" >>"$dir/steps.log"
        return 1
    fi
    wait "$pid" || { echo "rike listen exited $?" >>"$dir/steps.log"; rc=1; }
    return $rc
}

# A wrong PSK: rike must exit non-zero with the reason on stderr, and
# charon must have no SA.
run_bad_psk() {
    local dir=$1 rc want
    charon_up "$dir"
    if [ "$ROLE" = i ]; then
        timeout 40 ip netns exec "$RK_NS_R" "$RIKE_BIN" connect "${OPTS[@]}" --timeout 20 \
            2>"$dir/rike.log"
        rc=$?
        want="FAILED: IKE SA 1: the peer refused our authentication \(AUTHENTICATION_FAILED\)"
    else
        rk_bg "$dir/rike.pid" ip netns exec "$RK_NS_R" "$RIKE_BIN" listen "${OPTS[@]}" \
            --timeout 20 2>"$dir/rike.log"
        rk_wait_for "$dir/rike.log" "listening on" 5 || return 1
        rk_swanctl "$dir/sw" --initiate --child rk --timeout 10 >>"$dir/steps.log" 2>&1
        local pid n
        pid=$(cat "$dir/rike.pid")
        for n in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
        kill -0 "$pid" 2>/dev/null && { rk_stop "$dir/rike.pid"; echo "rike did not exit" >>"$dir/steps.log"; return 1; }
        wait "$pid"
        rc=$?
        want="FAILED: IKE SA [0-9]+: the peer's authentication failed"
    fi
    echo "rike exited $rc" >>"$dir/steps.log"
    rk_swanctl "$dir/sw" --list-sas >"$dir/sas.txt" 2>&1
    rk_sw_stop "$dir/sw"
    {
        [ "$rc" = 1 ] && echo "  ok    rike exited 1" || echo "  FAIL  rike exited $rc, not 1"
        grep -qE "$want" "$dir/rike.log" && echo "  ok    rike said why: $want" \
            || echo "  FAIL  rike did not say: $want"
        grep -q ESTABLISHED "$dir/sas.txt" && echo "  FAIL  charon has an IKE SA" \
            || echo "  ok    charon has no IKE SA"
    } >"$dir/check.log"
    ! grep -q "^  FAIL  " "$dir/check.log"
}

run_scenario() {
    local name=$1 dir=$OUT/$1 rc=0 t0=$SECONDS
    case $name in v1-*) v1_run_scenario "$name"; return ;; esac
    settings "$name" || { rk_log "unknown scenario $name"; return 1; }
    rm -rf "$dir"
    mkdir -p "$dir"
    if [ -n "$PKI" ] && [ ! -f "$OUT/pki-$PKI/ca.pem" ]; then
        rk_pki "$OUT/pki-$PKI" "$PKI"
    fi
    rike_opts "$dir" "$name"
    if [ "$PEER" = rike ]; then
        rk_cap_start "$dir/capture.pcapng"
        run_rike_pair "$dir" || rc=1
        rk_cap_stop "$dir/capture.pcapng"
        # shellcheck disable=SC2086
        python3 "$HERE/check.py" "$dir" $CHECK --peer-keys "$dir/peer-keys" \
            --ids rike.test,rike-peer.test --rike "$RIKE_BIN" >"$dir/check.log" 2>&1 || rc=1
        report "$name" "$dir" $rc $t0
        return $rc
    fi
    if [ "${name%-*}" = bad-psk ]; then
        run_bad_psk "$dir" || rc=1
        report "$name" "$dir" $rc $t0
        return $rc
    fi
    if [ "$PEER" = ls ]; then
        if ! rk_ls_available; then
            rk_log "SKIP $name: no libreswan under $RK_LS_ROOT (rk_ls_unpack in lib.sh, or .ci/run)"
            [ "${RIKE_REQUIRE_INTEROP:-}" = 1 ] && return 1
            return 2
        fi
        pluto_up "$dir"
        rk_cap_start "$dir/capture.pcapng"
        run_libreswan "$dir" || rc=1
        rk_cap_stop "$dir/capture.pcapng"
        rk_ls_stop "$dir/ls"
        cp "$dir/ls/pluto.log" "$dir/pluto.log"
        python3 "$HERE/check.py" "$dir" --libreswan --ids rike.test,ls.test --rike "$RIKE_BIN" \
            >"$dir/check.log" 2>&1 || rc=1
        report "$name" "$dir" $rc $t0
        return $rc
    fi
    charon_up "$dir"
    rk_cap_start "$dir/capture.pcapng"
    if [ "$ROLE" = i ]; then
        run_initiator "$dir" || rc=1
        if [ "$ACT" = delete ] || [ ! -f "$dir/sas.txt" ]; then
            rk_swanctl "$dir/sw" --list-sas >"$dir/sas.txt" 2>&1
        fi
    else
        run_responder "$dir" || rc=1
        [ -f "$dir/sas.txt" ] || rk_swanctl "$dir/sw" --list-sas >"$dir/sas.txt" 2>&1
    fi
    rk_cap_stop "$dir/capture.pcapng"
    rk_sw_stop "$dir/sw"
    cp "$dir/sw/charon.log" "$dir/charon.log"
    local esp=--esp
    [ "$ACT" = delete ] && esp=""
    # shellcheck disable=SC2086
    python3 "$HERE/check.py" "$dir" $CHECK $esp --ids rike.test,sw.test --rike "$RIKE_BIN" \
        >"$dir/check.log" 2>&1 || rc=1
    report "$name" "$dir" $rc $t0
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
        grep -E "FAILED|error" "$dir/rike.log" | sed 's/^/    rike: /' >&2
    fi
    return $rc
}

passed=0 failed=0 skipped=0 failures=""
for s in $SCENARIOS; do
    run_scenario "$s"
    src=$?
    if [ $src = 0 ]; then
        passed=$((passed + 1))
    elif [ $src = 2 ]; then
        skipped=$((skipped + 1))
    else
        failed=$((failed + 1))
        failures="$failures $s"
    fi
done
[ $failed = 0 ] || rk_log "failed:$failures (files in $OUT)"
if [ $failed = 0 ] && [ $KEEP = 0 ]; then rm -rf "$OUT"; fi
echo "interop: $passed passed, $failed failed, $skipped skipped"
[ $failed = 0 ]
