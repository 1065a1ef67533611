#!/usr/bin/env python3
"""Checks one IKEv1 interop scenario (tests/interop/v1.sh), as check.py
does for IKEv2, from the same files of the scenario directory:

  * rike reported one ISAKMP SA and one IPsec SA up (and the rekeys), no
    failure; with --xauth, the Mode-Config address;
  * `swanctl --list-sas` shows the IKEv1 SA ESTABLISHED with rike's cookies
    and algorithms and the Child SA INSTALLED with rike's SPIs mirrored
    (unless --deleted: then no SA); with --xauth, the XAUTH user and the
    virtual IP;
  * the keys rike exported equal charon's: the encryption key (charon's
    "encryption key Ka") and SKEYID_a of the ISAKMP SA, the encryption
    and integrity keys of every ESP SA, per direction;
  * tshark, with rike's key directory as its profile (ikev1_decryption_table,
    esp_sa), decrypts every encrypted IKEv1 message and (with --esp) the ESP
    packets to rike's inbound SPI; with --fragments, IKEv1 fragments were
    sent; with --dpd N, at least N R-U-THERE/R-U-THERE-ACK pairs;
  * rike's own dissector (--rike) decrypts every encrypted message too.
"""

import argparse
import json
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import check as c  # noqa: E402  (rike.log parsing, ok(), tshark())

LINE = re.compile(r"^\S+ (\d+)\[(\w+)\] (?:<([^>]*)> )?(.*)$")
DUMP_HEAD = re.compile(r"^(.*?) => (\d+) bytes @ 0x[0-9a-f]+$")
DUMP_LINE = re.compile(r"^\s*\d+: (.*)$")
WANTED = ("SKEYID_a", "encryption key Ka", "encryption initiator key", "encryption responder key",
          "integrity initiator key", "integrity responder key")


def charon_v1(path):
    """ISAKMP SA keys [(Ka, SKEYID_a)] and ESP SAs (spi, src, dst) ->
    (ekey, akey) from charon's level-4 log. In charon's IKEv1 log the
    "initiator" keys are those of the Quick Mode initiator's direction."""
    dumps, keys, isakmp, child = {}, {}, [], {}
    role, pending = {}, {}
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
                        name, _, data = dumps.pop(thread)
                        keys.setdefault(ctx, {})[name] = data.hex()
                        if name == "encryption key Ka":
                            k = keys[ctx]
                            isakmp.append((k["encryption key Ka"], k.get("SKEYID_a", "")))
                    continue
                dumps.pop(thread)
            h = DUMP_HEAD.match(msg)
            if h and h.group(1) in WANTED:
                dumps[thread] = [h.group(1), int(h.group(2)), b""]
                continue
            r = re.match(r"(parsed|generating) QUICK_MODE request \d+ \[ HASH SA", msg)
            if r:
                role[ctx] = "initiator" if r.group(1) == "generating" else "responder"
                continue
            a = re.match(r"adding (inbound|outbound) ESP SA", msg)
            if a:
                pending[ctx] = a.group(1)
                continue
            s = re.match(r"\s*SPI 0x([0-9a-f]{8}), src (\S+) dst (\S+)", msg)
            if s and ctx in pending:
                direction = pending.pop(ctx)
                k = keys.get(ctx, {})
                sender_is_initiator = (role.get(ctx) == "initiator") == (direction == "outbound")
                side = "initiator" if sender_is_initiator else "responder"
                child[(s.group(1), s.group(2), s.group(3))] = (
                    k.get(f"encryption {side} key", ""), k.get(f"integrity {side} key", ""))
    return isakmp, child


def rike_keys_v1(path):
    """rike.keys: ISAKMP SAs by cookies -> (key, skeyid_a); ESP SAs."""
    ike, esp = {}, {}
    with open(path) as f:
        for line in f:
            parts = line.split()
            if not parts:
                continue
            kv = dict(p.split("=", 1) for p in parts[1:] if "=" in p)
            if parts[0] == "ikev1":
                ike[(kv["cky_i"], kv["cky_r"])] = (kv["key"], kv.get("skeyid_a", ""))
            elif parts[0] == "esp":
                esp[(kv["spi"], kv["src"], kv["dst"])] = (kv["ekey"], kv["akey"])
    return ike, esp


def swanctl_v1(path):
    text = open(path).read() if os.path.exists(path) else ""
    ike = re.search(r"#\d+, (\w+), IKEv1, ([0-9a-f]{16})_i\*? ([0-9a-f]{16})_r\*?\n"
                    r"(?:.*\n){2}\s+(\S+)\n", text)
    children = list(re.finditer(r"#\d+, reqid \d+, (\w+), [\w-]+, ESP:(\S+)\n(?:.*\n)*?"
                                r"\s+in\s+([0-9a-f]{8}),.*\n\s+out\s+([0-9a-f]{8}),", text))
    installed = [x for x in children if x.group(1) == "INSTALLED"]
    child = (installed or children or [None])[-1]
    return text, ike, child


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--role", default="i")
    ap.add_argument("--deleted", action="store_true")
    ap.add_argument("--esp", action="store_true")
    ap.add_argument("--fragments", action="store_true")
    ap.add_argument("--child-rekeys", type=int, default=0)
    ap.add_argument("--dpd", type=int, default=0)
    ap.add_argument("--xauth", help="the Mode-Config address")
    ap.add_argument("--rike")
    ap.add_argument("--libreswan", action="store_true",
                    help="the peer is pluto: the ISAKMP SA only")
    a = ap.parse_args()
    d, keydir = a.dir, os.path.join(a.dir, "keys")
    ok = c.ok
    if a.libreswan:
        return check_libreswan(a, d, keydir)

    r = c.rike_log(os.path.join(d, "rike.log"))
    ok(r["ike_up"] == 1 and r["child_up"] == 1,
       f"rike reported one ISAKMP SA and one IPsec SA up ({r['ike_up']}, {r['child_up']})")
    ok(not r["failed"], "rike reported no failure" + (f": {r['failed']}" if r["failed"] else ""))
    ok(r["child_rekeyed"] == a.child_rekeys,
       f"rike reported {a.child_rekeys} IPsec SA rekeys ({r['child_rekeyed']})")
    log = open(os.path.join(d, "rike.log"), errors="replace").read()
    if a.xauth:
        ok(re.search(r"Mode-Config (assigned|received) " + re.escape(a.xauth), log) is not None,
           f"rike reported the Mode-Config address {a.xauth}")

    text, sw_ike, sw_child = swanctl_v1(os.path.join(d, "sas.txt"))
    if a.deleted:
        ok("ESTABLISHED" not in text and "INSTALLED" not in text,
           "swanctl --list-sas: no SA left after the delete")
        ok(any("deleted" in x for x in r["ike_down"]), f"rike reported the delete ({r['ike_down']})")
    elif ok(sw_ike is not None and sw_child is not None,
            "swanctl --list-sas shows an IKEv1 SA and a Child SA"):
        state, cky_i, cky_r, alg = sw_ike.groups()
        ok(state == "ESTABLISHED", f"charon: IKE SA {state}")
        ok((cky_i, cky_r) == r["ike"], f"cookies: charon {cky_i}_i {cky_r}_r, rike {r['ike']}")
        ok(c.norm_alg(alg) == c.norm_alg(r["ike_alg"] or ""),
           f"IKE algorithms: charon {alg}, rike {r['ike_alg']}")
        cstate, calg, c_in, c_out = sw_child.groups()
        ok(cstate == "INSTALLED", f"charon: Child SA {cstate}")
        ok(r["child"] == (c_out, c_in),
           f"Child SPIs: charon in {c_in} out {c_out}, rike in/out {r['child']}")
        ok(c.norm_alg(calg) == c.norm_alg(r["child_alg"] or ""),
           f"Child algorithms: charon {calg}, rike {r['child_alg']}")
        if a.xauth:
            ok(re.search(r"XAuth: '[^']+' \[" + re.escape(a.xauth) + r"\]", text) is not None
               or f"[{a.xauth}]" in text,
               f"charon shows XAUTH and the virtual IP {a.xauth}")

    r_ike, r_esp = rike_keys_v1(os.path.join(keydir, "rike.keys"))
    c_ike, c_child = charon_v1(os.path.join(d, "charon.log"))
    ok(len(r_ike) == 1, f"rike exported one ISAKMP SA key set ({len(r_ike)})")
    for cookies, keys in r_ike.items():
        ok(keys in c_ike, f"ISAKMP SA {cookies[0]}_i {cookies[1]}_r: encryption key and "
                          f"SKEYID_a equal charon's")
    ok(len(r_esp) == 2 * (1 + a.child_rekeys),
       f"rike exported {2 * (1 + a.child_rekeys)} ESP SAs ({len(r_esp)})")
    for sa, keys in r_esp.items():
        ok(c_child.get(sa) == keys, f"ESP SA {sa[0]} {sa[1]}->{sa[2]}: keys equal charon's")

    return decryption_checks(a, d, keydir, r)


def check_libreswan(a, d, keydir):
    """pluto logs no IKEv1 key bytes (they stay in NSS): the keys are shown
    equal by decryption instead, of pluto's encrypted messages with rike's
    exported key."""
    ok = c.ok
    r = c.rike_log(os.path.join(d, "rike.log"))
    ok(r["ike_up"] == 1, f"rike reported one ISAKMP SA up ({r['ike_up']})")
    plog = open(os.path.join(d, "pluto.log"), errors="replace").read()
    ok(re.search(r'"rk" #\d+: IKE SA established', plog) is not None,
       "pluto reported its IKE SA established")
    r_ike, _ = rike_keys_v1(os.path.join(keydir, "rike.keys"))
    ok(len(r_ike) == 1 and list(r_ike)[0] == r["ike"],
       f"rike exported one ISAKMP SA key set, for the cookies it reported ({list(r_ike)})")
    a.esp = False
    return decryption_checks(a, d, keydir, r)


def decryption_checks(a, d, keydir, r):
    ok = c.ok
    cap = os.path.join(d, "capture.pcapng")
    rows = c.tshark(cap, keydir, ["frame.number", "isakmp.exchangetype", "isakmp.flags",
                                  "isakmp.typepayload", "isakmp.nextpayload",
                                  "isakmp.notify.msgtype", "esp.spi", "icmp.type"])
    ike = [x for x in rows if x.get("isakmp.exchangetype")]
    enc = [x for x in ike if x.get("isakmp.flags") and int(x["isakmp.flags"].split(",")[0], 16) & 1]
    undecrypted = [x["frame.number"] for x in enc if not x.get("isakmp.typepayload")]
    ok(len(enc) > 0 and not undecrypted,
       f"tshark decrypted all {len(enc)} encrypted IKEv1 messages with rike's keys"
       + (f" (not frames {undecrypted})" if undecrypted else ""))
    if a.fragments:
        frags = [x for x in ike if x.get("isakmp.nextpayload", "").split(",")[0] == "132"]
        ok(len(frags) >= 4, f"IKEv1 fragments were sent ({len(frags)})")
    if a.dpd:
        notes = [t for x in ike for t in x.get("isakmp.notify.msgtype", "").split(",") if t]
        probes, acks = notes.count("36136"), notes.count("36137")
        ok(probes >= a.dpd and acks >= a.dpd,
           f"at least {a.dpd} R-U-THERE and R-U-THERE-ACK, decrypted ({probes}, {acks})")
    if a.esp:
        spi_in = r["child"][0] if r["child"] else "?"
        to_rike = [x for x in rows if x.get("esp.spi", "").lower().endswith(spi_in)]
        ok(len(to_rike) > 0 and all(x.get("icmp.type") for x in to_rike),
           f"tshark decrypted the ESP packets to rike's SPI {spi_in} with rike's esp_sa "
           f"({sum(1 for x in to_rike if x.get('icmp.type'))}/{len(to_rike)})")

    if a.rike:
        out = subprocess.run([a.rike, "dissect", "--json", "--keys", keydir, cap],
                             capture_output=True, text=True, timeout=60)
        msgs = [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]
        flags = [(m, m.get("rike", {}).get("rike.flags", 0)) for m in msgs]
        enc = [m for m, f in flags if isinstance(f, int) and f & 1]
        plain = [m["frame"] for m in enc
                 if '"rike.enc.decrypted"' not in json.dumps(m.get("rike", {}))]
        ok(out.returncode == 0 and len(enc) > 0 and not plain,
           f"rike dissect --keys decrypted all {len(enc)} encrypted IKEv1 messages"
           + (f" (not frames {plain})" if plain else "")
           + (f" [{out.stderr.strip()[:200]}]" if out.stderr.strip() else ""))

    print(f"  {len(c.FAILS)} check(s) failed" if c.FAILS else "  all checks passed")
    return 1 if c.FAILS else 0


if __name__ == "__main__":
    sys.exit(main())
