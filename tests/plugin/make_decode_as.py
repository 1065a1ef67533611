#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Makes ikev2-sa-init-udp5500.pcap: tests/data/crafted/ikev2-sa-init.pcap with
UDP ports 500 moved to 5500 (checksums fixed), for the Decode As test. The
capture is raw IPv4 (link type 228); no third-party modules needed.

    python3 tests/plugin/make_decode_as.py   # from the crate root
"""
import struct
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SRC = HERE.parent / "data/crafted/ikev2-sa-init.pcap"
DST = HERE / "ikev2-sa-init-udp5500.pcap"
OLD, NEW = 500, 5500


def csum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def fix(ip: bytearray) -> bytearray:
    ihl = (ip[0] & 0x0F) * 4
    assert ip[9] == 17, "not UDP"
    udp = ip[ihl:]
    sport, dport, ulen, _ = struct.unpack("!HHHH", udp[:8])
    sport = NEW if sport == OLD else sport
    dport = NEW if dport == OLD else dport
    struct.pack_into("!HHHH", udp, 0, sport, dport, ulen, 0)
    pseudo = bytes(ip[12:20]) + struct.pack("!BBH", 0, 17, ulen)
    c = csum(pseudo + bytes(udp[:ulen])) or 0xFFFF
    struct.pack_into("!H", udp, 6, c)
    return ip[:ihl] + udp


def main() -> int:
    raw = SRC.read_bytes()
    magic, = struct.unpack("<I", raw[:4])
    assert magic == 0xA1B2C3D4, "little-endian microsecond pcap expected"
    linktype, = struct.unpack("<I", raw[20:24])
    assert linktype == 228, "raw IPv4 expected"
    out, pos = bytearray(raw[:24]), 24
    while pos < len(raw):
        ts, tu, incl, orig = struct.unpack("<IIII", raw[pos:pos + 16])
        pkt = fix(bytearray(raw[pos + 16:pos + 16 + incl]))
        out += struct.pack("<IIII", ts, tu, len(pkt), orig) + pkt
        pos += 16 + incl
    DST.write_bytes(out)
    print(f"wrote {DST}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
