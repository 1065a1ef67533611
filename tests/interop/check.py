#!/usr/bin/env python3
"""Checks one interop scenario's results (tests/interop/run.sh).

Reads, from the scenario directory:
  rike.log       rike's stderr (one line per event)
  keys/          rike's --keylog directory (rike.keys, ikev2_decryption_table,
                 esp_sa, preferences)
  charon.log     charon's level-4 log (it prints the derived keys)
  sas.txt        `swanctl --list-sas` taken at the end (empty once deleted)
  capture.pcapng the exchange as captured on rike's side

and asserts:
  * swanctl shows the IKE SA ESTABLISHED and the Child SA INSTALLED with the
    SPIs and algorithms rike reported last (unless --deleted: then none);
  * every IKE SA and Child SA key rike exported equals the key charon logged
    (Child SA keys per direction, matched by SPI and addresses);
  * rike's own dissector (--rike) decrypts them with the same directory;
  * tshark, given rike's key directory as its profile, decrypts every
    encrypted IKE message of the capture, dissects the identities inside
    IKE_AUTH, and (with --esp) decrypts ESP to rike's inbound SPI.

Prints one line per check and exits non-zero when any fails.
"""

import argparse
import json
import os
import re
import subprocess
import sys

FAILS = []


def ok(cond, what):
    print(("  ok    " if cond else "  FAIL  ") + what)
    if not cond:
        FAILS.append(what)
    return cond


# ---------------------------------------------------------------- rike
def rike_log(path):
    """IKE SPIs and algorithms, Child SA SPIs and algorithms, as reported
    last, and counts of the events."""
    st = {"ike": None, "ike_alg": None, "child": None, "child_alg": None,
          "ike_up": 0, "child_up": 0, "child_rekeyed": 0, "ike_rekeyed": 0,
          "ike_down": [], "failed": []}
    ike_re = re.compile(r"IKE SA \d+ up \(\w+\): .* SPIs ([0-9a-f]{16})_i ([0-9a-f]{16})_r, (\S+.*)$")
    ike_rk = re.compile(r"IKE SA \d+ rekeyed: now IKE SA \d+, SPIs ([0-9a-f]{16})_i ([0-9a-f]{16})_r")
    child_re = re.compile(r"Child SA \S+ #\d+ (up \(IKE SA \d+\)|rekeyed: now #\d+): "
                          r"SPIs ([0-9a-f]{8})_i ([0-9a-f]{8})_o, ([^,]+),")
    with open(path, errors="replace") as f:
        for line in f:
            m = ike_re.search(line)
            if m:
                st["ike"] = (m.group(1), m.group(2))
                st["ike_alg"] = m.group(3).strip()
                st["ike_up"] += 1
                continue
            m = ike_rk.search(line)
            if m:
                st["ike"] = (m.group(1), m.group(2))
                st["ike_rekeyed"] += 1
                continue
            m = child_re.search(line)
            if m:
                st["child"] = (m.group(2), m.group(3))
                st["child_alg"] = m.group(4).strip()
                if m.group(1).startswith("up"):
                    st["child_up"] += 1
                else:
                    st["child_rekeyed"] += 1
                continue
            m = re.search(r"IKE SA \d+ down: (.*)$", line)
            if m:
                st["ike_down"].append(m.group(1))
            if "FAILED" in line:
                st["failed"].append(line.strip())
    return st


def rike_keys(path):
    """rike.keys: IKE key sets by SPI pair; ESP SAs by (spi, src, dst)."""
    ike, esp = {}, {}
    with open(path) as f:
        for line in f:
            parts = line.split()
            if not parts:
                continue
            kv = dict(p.split("=", 1) for p in parts[1:] if "=" in p)
            if parts[0] == "ikev2":
                ike[(kv["spi_i"], kv["spi_r"])] = tuple(
                    kv.get(k, "") for k in ("sk_ei", "sk_er", "sk_ai", "sk_ar"))
            elif parts[0] == "esp":
                esp[(kv["spi"], kv["src"], kv["dst"])] = (kv["ekey"], kv["akey"])
    return ike, esp


# ---------------------------------------------------------------- charon
LINE = re.compile(r"^\S+ (\d+)\[(\w+)\] (?:<([^>]*)> )?(.*)$")
DUMP_HEAD = re.compile(r"^(.*?) => (\d+) bytes @ 0x[0-9a-f]+$")
DUMP_LINE = re.compile(r"^\s*\d+: (.*)$")
# Sk_d comes first, Sk_pr last; Sk_ai/Sk_ar are not logged with AEAD.
IKE_KEYS = ("Sk_d secret", "Sk_ei secret", "Sk_er secret", "Sk_ai secret", "Sk_ar secret",
            "Sk_pi secret", "Sk_pr secret")
CHILD_KEYS = ("encryption initiator key", "encryption responder key",
              "integrity initiator key", "integrity responder key")


def charon_log(path):
    """IKE key sets (ei, er, ai, ar) and Child SAs as a dict
    (spi, src, dst) -> (ekey, akey), from charon's level-4 log."""
    dumps = {}        # thread -> [name, wanted length, bytes]
    ctx_keys = {}     # context -> {name: hex}
    ctx_role = {}     # context -> "initiator" | "responder" of the exchange
    pending_sa = {}   # context -> "inbound" | "outbound" awaiting its SPI line
    ike_sets, child = [], {}

    def finish(thread, ctx):
        name, _, data = dumps.pop(thread)
        keys = ctx_keys.setdefault(ctx, {})
        if name == "Sk_d secret":
            for k in IKE_KEYS:
                keys.pop(k, None)
        keys[name] = data.hex()
        if name == "Sk_pr secret":
            ike_sets.append(tuple(keys.get(k, "") for k in IKE_KEYS[1:5]))

    with open(path, errors="replace") as f:
        for raw in f:
            m = LINE.match(raw.rstrip("\n"))
            if not m:
                continue
            thread, _group, ctx, msg = m.groups()
            ctx = (ctx or "").split("|")[-1]
            if thread in dumps:
                d = DUMP_LINE.match(msg)
                if d:
                    hexpart = d.group(1)[:48].split()
                    dumps[thread][2] += bytes(int(b, 16) for b in hexpart
                                              if re.fullmatch(r"[0-9A-F]{2}", b))
                    if len(dumps[thread][2]) >= dumps[thread][1]:
                        finish(thread, ctx)
                    continue
                dumps.pop(thread)
            h = DUMP_HEAD.match(msg)
            if h and (h.group(1) in IKE_KEYS or h.group(1) in CHILD_KEYS):
                dumps[thread] = [h.group(1), int(h.group(2)), b""]
                if dumps[thread][1] == 0:
                    finish(thread, ctx)
                continue
            r = re.match(r"parsed (IKE_AUTH|CREATE_CHILD_SA) (request|response)", msg)
            if r:
                ctx_role[ctx] = "responder" if r.group(2) == "request" else "initiator"
                # a new exchange: forget Child keys of the previous one
                for k in CHILD_KEYS:
                    ctx_keys.get(ctx, {}).pop(k, None)
                continue
            a = re.match(r"adding (inbound|outbound) ESP SA", msg)
            if a:
                pending_sa[ctx] = a.group(1)
                continue
            s = re.match(r"\s*SPI 0x([0-9a-f]{8}), src (\S+) dst (\S+)", msg)
            if s and ctx in pending_sa:
                direction = pending_sa.pop(ctx)
                keys = ctx_keys.get(ctx, {})
                # The exchange's initiator sends with the initiator keys.
                sender_is_initiator = (ctx_role.get(ctx) == "initiator") == (direction == "outbound")
                side = "initiator" if sender_is_initiator else "responder"
                child[(s.group(1), s.group(2), s.group(3))] = (
                    keys.get(f"encryption {side} key", ""), keys.get(f"integrity {side} key", ""))
    return ike_sets, child


def pluto_log(path):
    """libreswan: IKE SAs established (from its log lines) and the keys of
    its tcpdump-style lines, `ikev2 I|R 0xSPIi 0xSPIr integ:0xKEY
    encr:0xKEY` (printed with plutodebug=private), by (SPIi, SPIr, I|R).
    Its GCM keys leave out the 4-octet salt."""
    established, keys = 0, {}
    with open(path, errors="replace") as f:
        for line in f:
            if re.search(r'"rk" #\d+: (initiator|responder) established IKE SA', line):
                established += 1
            m = re.search(r"\| ikev2 ([IR]) 0x([0-9a-f]{16}) 0x([0-9a-f]{16}) (\S*?):(?:0x([0-9a-f]*))? "
                          r"\S*?:0x([0-9a-f]+)", line)
            if m:
                keys[(m.group(2), m.group(3), m.group(1))] = (m.group(6), m.group(5) or "")
    return established, keys


def swanctl_sas(path):
    """The IKE SA and Child SA lines of `swanctl --list-sas`."""
    text = open(path).read() if os.path.exists(path) else ""
    ike = re.search(r"#\d+, (\w+), IKEv2, ([0-9a-f]{16})_i\*? ([0-9a-f]{16})_r\*?\n(?:.*\n){2}\s+(\S+)\n", text)
    # after a rekey the old Child SA may still be listed (DELETED)
    children = list(re.finditer(r"#\d+, reqid \d+, (\w+), [\w-]+, ESP:(\S+)\n(?:.*\n)*?\s+in\s+([0-9a-f]{8}),.*\n\s+out\s+([0-9a-f]{8}),", text))
    installed = [c for c in children if c.group(1) == "INSTALLED"]
    child = (installed or children or [None])[-1]
    return text, ike, child


KE_NAMES = {
    "Curve25519": "CURVE_25519", "2048-bit MODP Group": "MODP_2048",
    "3072-bit MODP Group": "MODP_3072", "256-bit random ECP group": "ECP_256",
    "384-bit random ECP group": "ECP_384",
}


def norm_alg(s):
    """rike's and strongSwan's algorithm names in one spelling."""
    out = []
    for part in s.split("/"):
        part = KE_NAMES.get(part, part)
        part = re.sub(r"^(ENCR_|AUTH_)", "", part).replace("-", "_").upper()
        out.append(part)
    return "/".join(out)


# ---------------------------------------------------------------- tshark
def tshark(capture, profile, fields, extra=()):
    env = dict(os.environ, WIRESHARK_CONFIG_DIR=profile)
    cmd = ["tshark", "-n", "-r", capture, "-T", "fields", "-E", "separator=|",
           "-E", "occurrence=a", "-E", "aggregator=,"] + list(extra)
    for f in fields:
        cmd += ["-e", f]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60)
    if out.returncode != 0:
        ok(False, f"tshark ran: {out.stderr.strip()[:300]}")
        return []
    return [dict(zip(fields, line.split("|"))) for line in out.stdout.splitlines()]


def rows_notify(capture, profile):
    """Every notify message type in the capture."""
    types = set()
    for x in tshark(capture, profile, ["isakmp.notify.msgtype"]):
        types.update(t for t in x["isakmp.notify.msgtype"].split(",") if t)
    return types


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--deleted", action="store_true", help="the IKE SA was deleted at the end")
    ap.add_argument("--esp", action="store_true", help="ESP to rike was captured")
    ap.add_argument("--fragments", action="store_true", help="IKE_AUTH was fragmented")
    ap.add_argument("--child-rekeys", type=int, default=0)
    ap.add_argument("--ike-rekeys", type=int, default=0)
    ap.add_argument("--invalid-ke", action="store_true",
                    help="the first IKE_SA_INIT was answered with INVALID_KE_PAYLOAD")
    ap.add_argument("--liveness", type=int, default=0,
                    help="at least this many empty INFORMATIONAL exchanges (DPD)")
    ap.add_argument("--ids", default="", help="identities IKE_AUTH must show, comma-separated")
    ap.add_argument("--rike", help="the rike binary: its dissector must decrypt the capture too")
    ap.add_argument("--peer-keys",
                    help="the peer is another rike: its --keylog directory (its keys must equal ours)")
    ap.add_argument("--libreswan", action="store_true",
                    help="the peer is libreswan: its Child SA cannot install here, only the IKE SA is checked")
    a = ap.parse_args()
    d = a.dir
    keydir = os.path.join(d, "keys")
    if a.libreswan:
        return check_libreswan(a, d, keydir)
    if a.peer_keys:
        return check_rike_peer(a, d, keydir)

    r = rike_log(os.path.join(d, "rike.log"))
    ok(r["ike_up"] == 1 and r["child_up"] == 1,
       f"rike reported one IKE SA and one Child SA up ({r['ike_up']}, {r['child_up']})")
    ok(not r["failed"], "rike reported no failure" + (f": {r['failed']}" if r["failed"] else ""))
    ok(r["child_rekeyed"] == a.child_rekeys,
       f"rike reported {a.child_rekeys} Child SA rekeys ({r['child_rekeyed']})")
    ok(r["ike_rekeyed"] == a.ike_rekeys,
       f"rike reported {a.ike_rekeys} IKE SA rekeys ({r['ike_rekeyed']})")

    text, sw_ike, sw_child = swanctl_sas(os.path.join(d, "sas.txt"))
    if a.deleted:
        ok("ESTABLISHED" not in text and "INSTALLED" not in text,
           "swanctl --list-sas: no SA left after the delete")
        ok(any("deleted" in x for x in r["ike_down"]), f"rike reported the delete ({r['ike_down']})")
    elif ok(sw_ike is not None and sw_child is not None, "swanctl --list-sas shows an IKE SA and a Child SA"):
        state, spi_i, spi_r, alg = sw_ike.groups()
        ok(state == "ESTABLISHED", f"charon: IKE SA {state}")
        ok((spi_i, spi_r) == r["ike"], f"IKE SPIs: charon {spi_i}_i {spi_r}_r, rike {r['ike']}")
        ok(norm_alg(alg) == norm_alg(r["ike_alg"] or ""),
           f"IKE algorithms: charon {alg}, rike {r['ike_alg']}")
        cstate, calg, c_in, c_out = sw_child.groups()
        ok(cstate == "INSTALLED", f"charon: Child SA {cstate}")
        ok(r["child"] == (c_out, c_in),
           f"Child SPIs: charon in {c_in} out {c_out}, rike in/out {r['child']}")
        ok(norm_alg(calg) == norm_alg(r["child_alg"] or ""),
           f"Child algorithms: charon {calg}, rike {r['child_alg']}")

    r_ike, r_esp = rike_keys(os.path.join(keydir, "rike.keys"))
    c_ike, c_child = charon_log(os.path.join(d, "charon.log"))
    ok(len(r_ike) == 1 + a.ike_rekeys, f"rike exported {1 + a.ike_rekeys} IKE SA key sets ({len(r_ike)})")
    for spis, keys in r_ike.items():
        ok(keys in c_ike, f"IKE SA {spis[0]}_i {spis[1]}_r: SK_ei/er/ai/ar equal charon's")
    ok(len(c_ike) == len(r_ike), f"charon derived as many IKE key sets ({len(c_ike)})")
    ok(len(r_esp) == 2 * (1 + a.child_rekeys),
       f"rike exported {2 * (1 + a.child_rekeys)} ESP SAs ({len(r_esp)})")
    for sa, keys in r_esp.items():
        ok(c_child.get(sa) == keys, f"ESP SA {sa[0]} {sa[1]}->{sa[2]}: keys equal charon's")

    return decryption_checks(a, d, keydir, r)


def check_libreswan(a, d, keydir):
    r = rike_log(os.path.join(d, "rike.log"))
    ok(r["ike_up"] == 1, f"rike reported one IKE SA up ({r['ike_up']})")
    established, lkeys = pluto_log(os.path.join(d, "pluto.log"))
    ok(established == 1, f"pluto reported one IKE SA established ({established})")
    r_ike, _ = rike_keys(os.path.join(keydir, "rike.keys"))
    ok(len(r_ike) == 1, f"rike exported one IKE SA key set ({len(r_ike)})")
    for (spi_i, spi_r), (ei, er, ai, ar) in r_ike.items():
        ok(r["ike"] == (spi_i, spi_r), f"the key set is for the SPIs rike reported ({spi_i}_i {spi_r}_r)")
        for role, ekey, akey in (("I", ei, ai), ("R", er, ar)):
            got = lkeys.get((spi_i, spi_r, role))
            ok(got is not None and ekey.startswith(got[0]) and len(got[0]) >= 32 and got[1] == akey,
               f"SK_e{role.lower()}/SK_a{role.lower()} equal pluto's")
    return decryption_checks(a, d, keydir, r)


def tcp_framing(cap):
    """RFC 8229 on the wire, read from tshark's TCP payloads (Wireshark 4.0
    has no RFC 8229 dissector): the initiator's stream starts with
    "IKETCP", then both streams are 2-octet-length frames holding the
    non-ESP marker and an IKEv2 message whose own length fits the frame.
    Returns the number of IKE messages and a list of problems."""
    rows = tshark(cap, cap + ".none", ["tcp.srcport", "tcp.dstport", "tcp.seq", "tcp.payload"],
                  ["-Y", "tcp.len > 0", "-o", "tcp.analyze_sequence_numbers:TRUE"])
    streams = {}
    for x in rows:
        key = (x["tcp.srcport"], x["tcp.dstport"])
        streams.setdefault(key, {})[int(x["tcp.seq"] or 0)] = bytes.fromhex(x["tcp.payload"].replace(":", ""))
    count, problems = 0, []
    for (src, dst), segs in streams.items():
        data = b"".join(segs[k] for k in sorted(segs))
        if dst == "4500":
            if not data.startswith(b"IKETCP"):
                problems.append(f"stream {src}->{dst} lacks the IKETCP prefix")
                continue
            data = data[6:]
        while data:
            if len(data) < 2:
                problems.append(f"stream {src}->{dst}: {len(data)} stray octets")
                break
            n = int.from_bytes(data[:2], "big")
            frame, data = data[2:n], data[n:]
            if n < 6 or len(frame) != n - 2:
                problems.append(f"stream {src}->{dst}: bad frame length {n}")
                break
            ike = frame[4:]
            if frame[:4] != b"\0\0\0\0" or len(ike) < 28 or ike[17] != 0x20 \
                    or int.from_bytes(ike[24:28], "big") != len(ike):
                problems.append(f"stream {src}->{dst}: a frame is not marker + IKEv2 message")
                break
            count += 1
    return count, problems


def check_rike_peer(a, d, keydir):
    r = rike_log(os.path.join(d, "rike.log"))
    peer = rike_log(os.path.join(d, "peer.log"))
    for who, x in (("rike", r), ("its peer", peer)):
        ok(x["ike_up"] == 1 and x["child_up"] == 1, f"{who} reported one IKE SA and one Child SA up")
        ok(not x["failed"], f"{who} reported no failure" + (f": {x['failed']}" if x["failed"] else ""))
        ok(x["child_rekeyed"] == a.child_rekeys and x["ike_rekeyed"] == a.ike_rekeys,
           f"{who} reported {a.child_rekeys} Child SA and {a.ike_rekeys} IKE SA rekeys")
    ok(r["ike"] == peer["ike"], f"both report the same IKE SPIs {r['ike']}")
    ok(r["child"] and peer["child"] and r["child"] == peer["child"][::-1],
       f"both report the same Child SPIs, mirrored ({r['child']}, {peer['child']})")
    mine, my_esp = rike_keys(os.path.join(keydir, "rike.keys"))
    theirs, their_esp = rike_keys(os.path.join(a.peer_keys, "rike.keys"))
    ok(len(mine) == 1 + a.ike_rekeys and mine == theirs, f"both exported the same {len(mine)} IKE key sets")
    ok(len(my_esp) == 2 * (1 + a.child_rekeys) and my_esp == their_esp,
       f"both exported the same {len(my_esp)} ESP SAs")
    cap = os.path.join(d, "capture.pcapng")
    n, problems = tcp_framing(cap)
    ok(n >= 10 and not problems,
       f"RFC 8229 framing on the wire: IKETCP prefix, {n} framed IKEv2 messages"
       + (f" ({problems})" if problems else ""))
    # tshark 4.0 cannot dissect RFC 8229 streams: rike's dissector decrypts
    # them (decryption_checks' --rike part).
    a.ids = ""
    return rike_dissect_checks(a, cap, keydir)


def decryption_checks(a, d, keydir, r):
    # tshark with rike's key directory as its profile
    cap = os.path.join(d, "capture.pcapng")
    rows = tshark(cap, keydir, ["frame.number", "isakmp.exchangetype", "isakmp.enc.decrypted",
                                "isakmp.ikev2.integrity_checksum", "isakmp.id.data.fqdn",
                                "isakmp.typepayload", "esp.spi", "icmp.type", "tcp.srcport"])
    ike = [x for x in rows if x.get("isakmp.exchangetype")]
    if a.invalid_ke:
        inits = [x for x in ike if x["isakmp.exchangetype"] == "34"]
        ok("17" in rows_notify(cap, keydir) and len(inits) == 4,
           f"IKE_SA_INIT answered with INVALID_KE_PAYLOAD, then retried ({len(inits)} IKE_SA_INIT messages)")
    if a.liveness:
        info = [x for x in ike if x["isakmp.exchangetype"] == "37" and x.get("isakmp.enc.decrypted")]
        ok(len(info) >= 2 * a.liveness,
           f"at least {a.liveness} INFORMATIONAL exchanges (liveness), decrypted ({len(info)} messages)")
    enc = [x for x in ike if x["isakmp.exchangetype"].split(",")[0] in ("35", "36", "37")]
    undecrypted = [x["frame.number"] for x in enc if not x.get("isakmp.enc.decrypted")]
    ok(len(enc) > 0 and not undecrypted,
       f"tshark decrypted all {len(enc)} encrypted IKE messages with rike's keys"
       + (f" (not frames {undecrypted})" if undecrypted else ""))
    bad_icv = [x["frame.number"] for x in rows if x.get("isakmp.ikev2.integrity_checksum")]
    ok(not bad_icv, "tshark found no bad IKE integrity checksum" + (f" (frames {bad_icv})" if bad_icv else ""))
    ids = set()
    for x in ike:
        ids.update(i for i in x.get("isakmp.id.data.fqdn", "").split(",") if i)
    want = set(i for i in a.ids.split(",") if i)
    ok(want <= ids, f"tshark dissected IDi/IDr inside IKE_AUTH: {sorted(ids)}")
    if a.fragments:
        frags = [x for x in ike if "53" in x.get("isakmp.typepayload", "").split(",")]
        ok(len(frags) >= 2, f"IKE_AUTH went in RFC 7383 fragments ({len(frags)} SKF messages)")
    if a.esp:
        spi_in = r["child"][0] if r["child"] else "?"
        esp = [x for x in rows if x.get("esp.spi")]
        to_rike = [x for x in esp if x["esp.spi"].lower().endswith(spi_in)]
        ok(len(to_rike) > 0 and all(x.get("icmp.type") for x in to_rike),
           f"tshark decrypted the ESP packets to rike's SPI {spi_in} with rike's esp_sa "
           f"({sum(1 for x in to_rike if x.get('icmp.type'))}/{len(to_rike)})")

    return rike_dissect_checks(a, cap, keydir)


def rike_dissect_checks(a, cap, keydir):
    if a.rike:
        out = subprocess.run([a.rike, "dissect", "--json", "--keys", keydir, cap],
                             capture_output=True, text=True, timeout=60)
        msgs = [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]
        enc = [m for m in msgs if m.get("rike", {}).get("rike.exchangetype") in (35, 36, 37)]
        plain = [m["frame"] for m in enc
                 if '"rike.enc.decrypted"' not in json.dumps(m.get("rike", {}))]
        ok(out.returncode == 0 and len(enc) > 0 and not plain,
           f"rike dissect --keys decrypted all {len(enc)} encrypted IKE messages"
           + (f" (not frames {plain})" if plain else "")
           + (f" [{out.stderr.strip()[:200]}]" if out.stderr.strip() else ""))

    print(f"  {len(FAILS)} check(s) failed" if FAILS else "  all checks passed")
    return 1 if FAILS else 0


if __name__ == "__main__":
    sys.exit(main())
