# shellcheck shell=bash
# tests/interop/v1.sh: the IKEv1 scenarios of run.sh (sourced by it; uses
# lib.sh and run.sh's report/esp_ping). rike (`rike connect --ikev1`,
# `rike listen --ikev1`) against charon with `version = 1`:
#
#   v1-psk      Main Mode, PSK; Quick Mode with PFS (modp2048)
#   v1-ecdsa    Main Mode, ECDSA P-256 certificates; Quick Mode without PFS
#   v1-frag     Main Mode, RSA-4096 chains, IKEv1 fragments at 576 bytes
#   v1-aggr     Aggressive Mode, PSK
#   v1-rekey    Quick Mode rekey (rike's --rekey-child-after, or swanctl --rekey)
#   v1-delete   rike deletes the IPsec and ISAKMP SAs (Informational Delete)
#   v1-dpd      DPD (RFC 3706): rike probes (-i) or charon probes (-r)
#   v1-xauth    XAUTH + Mode-Config: rike is the client (-i, charon the
#               server with a pool) or the server (-r, charon the client)
#   v1-ls       libreswan (pluto, ikev2=no): Main Mode PSK, the ISAKMP SA
#               only (pluto cannot install an IPsec SA on a kernel without
#               ESP, so its Quick Mode fails on its side)
#
# Each checked by check_v1.py: SAs in swanctl as rike reported them, keys
# equal charon's (encryption key Ka, SKEYID_a, ESP keys), tshark and rike's
# dissector decrypt the capture with rike's key export.

V1_ALL="v1-psk-i v1-psk-r v1-ecdsa-i v1-ecdsa-r v1-frag-i v1-frag-r v1-aggr-i v1-aggr-r
        v1-rekey-i v1-rekey-r v1-delete-i v1-dpd-i v1-dpd-r v1-xauth-i v1-xauth-r
        v1-ls-i v1-ls-r"
V1_POOL_IP=10.73.0.1
V1_XAUTH_USER=carol

# v1_settings NAME: the scenario's parameters
v1_settings() {
    local base=${1#v1-}
    V1_ROLE=${1##*-} base=${base%-*}
    V1_IKE=aes256-sha256-modp2048 V1_ESP=aes256-sha256-modp2048 V1_PKI="" V1_MTU=1280
    V1_AGGR=no V1_DPD=0 V1_XAUTH="" V1_ACT="" V1_CHECK="" V1_PEER=sw
    case $base in
        psk) ;;
        ecdsa) V1_PKI=ecdsa V1_ESP=aes128-sha1 ;;
        frag) V1_PKI=rsa4096 V1_MTU=576 V1_CHECK="--fragments" ;;
        aggr) V1_AGGR=yes V1_IKE=aes128-sha1-modp2048 V1_ESP=aes128-sha1 ;;
        rekey) V1_ACT=rekey V1_CHECK="--child-rekeys 1" ;;
        delete) V1_ACT=delete V1_CHECK="--deleted" ;;
        dpd) V1_ACT=dpd V1_CHECK="--dpd 2"
            if [ "$V1_ROLE" = r ]; then V1_DPD=1; fi ;;
        xauth) V1_XAUTH=$V1_ROLE V1_CHECK="--xauth $V1_POOL_IP" ;;
        ls) V1_PEER=ls V1_CHECK="--libreswan" ;;
        *) return 1 ;;
    esac
}

# rike's options
v1_rike_opts() {
    local dir=$1 rts=$RK_TS_S
    # rike as Mode-Config server: the peer's selector is the address it gets
    [ "$V1_XAUTH" = r ] && rts=10.73.0.0/24
    V1_OPTS=(--ikev1 --local "$RK_IP_R" --remote "$RK_IP_S" --local-id rike.test
             --remote-id "$V1_PEER.test"
             --ike "$V1_IKE" --esp "$V1_ESP" --local-ts "$RK_TS_R" --remote-ts "$rts"
             --mtu "$V1_MTU" --once --keylog "$dir/keys")
    [ "$V1_AGGR" = yes ] && V1_OPTS+=(--aggressive)
    if [ -n "$V1_PKI" ]; then
        local pki=$OUT/pki-$V1_PKI
        V1_OPTS+=(--cert "$pki/rike-chain.pem" --key "$pki/rike.key" --ca "$pki/ca.pem")
    else
        V1_OPTS+=(--psk-env RIKE_PSK)
    fi
    case $V1_XAUTH in
        i) V1_OPTS+=(--xauth client --xauth-user "$V1_XAUTH_USER" --xauth-password-env RIKE_XAUTH_PW
                     --modecfg client) ;;
        r) V1_OPTS+=(--xauth server --xauth-user "$V1_XAUTH_USER" --xauth-password-env RIKE_XAUTH_PW
                     --modecfg server --pool "$V1_POOL_IP" --dns 10.73.0.53) ;;
    esac
}

# charon with an IKEv1 connection
v1_charon_up() {
    local dir=$1 sw=$1/sw
    RK_SW_CONF_IN=$HERE/conf/strongswan-v1.conf.in rk_sw_conf "$sw" "$V1_MTU"
    rk_sw_start "$sw"
    local creds=(AUTH=psk CERT=@SKIP@ CA=@SKIP@ "PSK=$PSK")
    if [ -n "$V1_PKI" ]; then
        local pki=$OUT/pki-$V1_PKI
        creds=(AUTH=pubkey "CERT=$pki/sw.pem" "CA=$pki/ca.pem" "KEY=$pki/sw.key")
        [ -f "$pki/int.pem" ] && creds+=("INTERMEDIATE=$pki/int.pem")
    fi
    # XAUTH: charon is the server (pool, remote XAUTH round) when rike is
    # the client, and the client (virtual IP, local XAUTH round) else.
    local x=(XC=@SKIP@ XS=@SKIP@ XCS=@SKIP@ POOL=@SKIP@ VIPS=@SKIP@ "SW_LOCAL_TS=$RK_TS_S/32"
             "REMOTE_TS=$RK_TS_R/32")
    case $V1_XAUTH in
        i) x=(XC=@SKIP@ XS= XCS= POOL= VIPS=@SKIP@ "SW_LOCAL_TS=$RK_TS_S/32" "REMOTE_TS=$V1_POOL_IP/32") ;;
        r) x=(XC= XS=@SKIP@ XCS= POOL=@SKIP@ VIPS=0.0.0.0 SW_LOCAL_TS=dynamic "REMOTE_TS=$RK_TS_R/32") ;;
    esac
    RK_SWANCTL_IN=$HERE/conf/swanctl-v1.conf.in rk_sw_load "$sw" "LOCAL=$RK_IP_S" "REMOTE=$RK_IP_R" \
        LOCAL_ID=sw.test REMOTE_ID=rike.test "IKE=$V1_IKE" "ESP=$V1_ESP" "AGGRESSIVE=$V1_AGGR" \
        "DPD_DELAY=$V1_DPD" PULL=yes "XAUTH_USER=$V1_XAUTH_USER" "XAUTH_PW=$RIKE_XAUTH_PW" \
        "${x[@]}" "${creds[@]}"
}

# ESP from charon to rike through the tunnel (rike has no data plane): from
# charon's tunnel address (or its virtual IP) to rike's (or rike's virtual IP)
v1_esp_ping() {
    local src=$RK_TS_S dst=$RK_TS_R
    case $V1_XAUTH in
        i) dst=$V1_POOL_IP ;;
        r) src=$V1_POOL_IP ;;
    esac
    ip netns exec "$RK_NS_S" ping -n -c 2 -i 0.2 -w 1 -I "$src" "$dst" >/dev/null 2>&1
    return 0
}

v1_initiator() {
    local dir=$1 rc act=()
    case $V1_ACT in
        rekey) act=(--rekey-child-after 0.5 --linger 1) ;;
        delete) act=(--delete-after 0.5) ;;
        dpd) act=(--dpd 0.3 --linger 1.2) ;;
    esac
    timeout 40 ip netns exec "$RK_NS_R" "$RIKE_BIN" connect "${V1_OPTS[@]}" --timeout 20 "${act[@]}" \
        2>"$dir/rike.log"
    rc=$?
    echo "rike connect exited $rc" >>"$dir/steps.log"
    [ "$V1_ACT" = delete ] || v1_esp_ping
    return $rc
}

v1_responder() {
    local dir=$1 rc sw=$1/sw pid n
    rk_bg "$dir/rike.pid" ip netns exec "$RK_NS_R" "$RIKE_BIN" listen "${V1_OPTS[@]}" \
        --timeout 20 --linger 30 2>"$dir/rike.log"
    rk_wait_for "$dir/rike.log" "listening on" 5 || { echo "rike did not start" >>"$dir/steps.log"; return 1; }
    rk_swanctl "$sw" --initiate --child rk --timeout 20 >>"$dir/steps.log" 2>&1 \
        || echo "swanctl --initiate failed" >>"$dir/steps.log"
    rk_wait_for "$dir/rike.log" "Child SA .* up" 5 || echo "rike saw no Child SA" >>"$dir/steps.log"
    case $V1_ACT in
        rekey)
            rk_swanctl "$sw" --rekey --child rk >>"$dir/steps.log" 2>&1
            rk_wait_for "$dir/rike.log" "Child SA .* rekeyed" 5 \
                || echo "no Child SA rekey seen by rike" >>"$dir/steps.log"
            ;;
        dpd) sleep 3 ;;  # charon's R-U-THERE every second of silence
    esac
    v1_esp_ping
    rk_swanctl "$sw" --list-sas >"$dir/sas.txt" 2>&1
    rk_swanctl "$sw" --terminate --ike rk --timeout 10 >>"$dir/steps.log" 2>&1
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

# rike against pluto: the ISAKMP SA must come up both ways (the Quick
# Mode then fails on pluto's side: no kernel ESP)
v1_libreswan() {
    local dir=$1 rc pid n
    RK_LS_CONF_IN=$HERE/conf/ipsec-v1.conf.in rk_ls_conf "$dir/ls" "LOCAL=$RK_IP_S" "REMOTE=$RK_IP_R" \
        "LOCAL_TS=$RK_TS_S" "REMOTE_TS=$RK_TS_R" LOCAL_ID=ls.test REMOTE_ID=rike.test \
        "IKE=aes256-sha2_256;modp2048" "ESP=aes256-sha2_256" "PSK=$PSK"
    rk_ls_start "$dir/ls"
    rk_cap_start "$dir/capture.pcapng"
    if [ "$V1_ROLE" = i ]; then
        timeout 40 ip netns exec "$RK_NS_R" "$RIKE_BIN" connect "${V1_OPTS[@]}" --timeout 3 \
            2>"$dir/rike.log"
        echo "rike connect exited $?" >>"$dir/steps.log"
    else
        rk_bg "$dir/rike.pid" ip netns exec "$RK_NS_R" "$RIKE_BIN" listen "${V1_OPTS[@]}" \
            --timeout 20 --linger 1 2>"$dir/rike.log"
        rk_wait_for "$dir/rike.log" "listening on" 5 || return 1
        timeout 20 "$RK_LS_BIN/whack" --ctlsocket "$dir/ls/run/pluto.ctl" --name rk --initiate \
            >>"$dir/steps.log" 2>&1
        pid=$(cat "$dir/rike.pid")
        for n in $(seq 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
        rk_stop "$dir/rike.pid"
        wait "$pid" 2>/dev/null
    fi
    rk_cap_stop "$dir/capture.pcapng"
    rk_ls_stop "$dir/ls"
    cp "$dir/ls/pluto.log" "$dir/pluto.log"
    grep -q "IKE SA .* up" "$dir/rike.log"
    rc=$?
    return $rc
}

# v1_run_scenario NAME: one IKEv1 scenario, reported like the others
v1_run_scenario() {
    local name=$1 dir=$OUT/$1 rc=0 t0=$SECONDS
    v1_settings "$name" || { rk_log "unknown scenario $name"; return 1; }
    export RIKE_XAUTH_PW=${RIKE_XAUTH_PW:-xauth-$PSK}
    rm -rf "$dir"
    mkdir -p "$dir"
    if [ -n "$V1_PKI" ] && [ ! -f "$OUT/pki-$V1_PKI/ca.pem" ]; then
        rk_pki "$OUT/pki-$V1_PKI" "$V1_PKI"
    fi
    v1_rike_opts "$dir"
    if [ "$V1_PEER" = ls ]; then
        if ! rk_ls_available; then
            rk_log "SKIP $name: no libreswan under $RK_LS_ROOT (rk_ls_unpack in lib.sh, or .ci/run)"
            [ "${RIKE_REQUIRE_INTEROP:-}" = 1 ] && return 1
            return 2
        fi
        v1_libreswan "$dir" || rc=1
        python3 "$HERE/check_v1.py" "$dir" --libreswan --role "$V1_ROLE" --rike "$RIKE_BIN" \
            >"$dir/check.log" 2>&1 || rc=1
        report "$name" "$dir" $rc $t0
        return $rc
    fi
    v1_charon_up "$dir"
    rk_cap_start "$dir/capture.pcapng"
    if [ "$V1_ROLE" = i ]; then
        v1_initiator "$dir" || rc=1
        [ -f "$dir/sas.txt" ] || rk_swanctl "$dir/sw" --list-sas >"$dir/sas.txt" 2>&1
    else
        v1_responder "$dir" || rc=1
    fi
    rk_cap_stop "$dir/capture.pcapng"
    rk_sw_stop "$dir/sw"
    cp "$dir/sw/charon.log" "$dir/charon.log"
    local esp=--esp
    [ "$V1_ACT" = delete ] && esp=""
    # shellcheck disable=SC2086
    python3 "$HERE/check_v1.py" "$dir" $V1_CHECK $esp --role "$V1_ROLE" --rike "$RIKE_BIN" \
        >"$dir/check.log" 2>&1 || rc=1
    report "$name" "$dir" $rc $t0
    return $rc
}
