#!/usr/bin/env python3
"""Regenerates the derived capture files in this directory.

They re-encode frames of the public captures in ../ into container and
link-layer variants that no public capture in the corpus uses, so that the
capture reader is tested against files that real tshark also reads (the
expected values in tests/capture.rs were read back with tshark 4.0):

  ikev2four-be.pcap          classic pcap, big-endian, microseconds
  ikev2four-be-nsec.pcap     classic pcap, big-endian, nanoseconds (+frame# ns)
  ikev2four-sll.pcap         LINKTYPE_LINUX_SLL (113) instead of DLT_NULL
  ikev2four-sll2.pcap        LINKTYPE_LINUX_SLL2 (276) instead of DLT_NULL
  ikev2four-loop.pcap        LINKTYPE_LOOP (108), family in network order
  tcp-reorder.pcap           Ethernet (802.1Q-tagged) TCP streams with data on
                             the SYN-ACK, out-of-order, retransmitted and
                             overlapping segments, FIN, an IPv6 stream picked
                             up mid-connection and a segment missing from the
                             capture (acknowledged by the peer)
  multi-section.pcapng       pcapng, section 1 big-endian with three
                             interfaces (NULL usec, Ethernet nsec + tsoffset,
                             IPv4 2^-20 s), EPB/OPB/custom/NRB/ISB blocks;
                             section 2 little-endian with an SLL2 interface
                             and a simple packet block

Usage: python3 make_derived.py  (from any directory)
"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.dirname(HERE)


def read_pcap(path):
    """Returns (linktype, [(sec, usec, caplen, origlen, data)]) of a LE usec pcap."""
    with open(path, "rb") as f:
        raw = f.read()
    magic, = struct.unpack("<I", raw[:4])
    assert magic == 0xA1B2C3D4, hex(magic)
    linktype, = struct.unpack("<I", raw[20:24])
    frames, off = [], 24
    while off < len(raw):
        sec, usec, caplen, origlen = struct.unpack("<IIII", raw[off:off + 16])
        frames.append((sec, usec, caplen, origlen, raw[off + 16:off + 16 + caplen]))
        off += 16 + caplen
    return linktype, frames


def write_pcap(path, endian, magic, linktype, records):
    out = [struct.pack(endian + "IHHiIII", magic, 2, 4, 0, 0, 65535, linktype)]
    for sec, frac, data, origlen in records:
        out.append(struct.pack(endian + "IIII", sec, frac, len(data), origlen) + data)
    with open(os.path.join(HERE, path), "wb") as f:
        f.write(b"".join(out))


def null_to(frames, header_fn):
    """Replaces the 4-byte DLT_NULL header by header_fn(family)."""
    res = []
    for sec, usec, _caplen, origlen, data in frames:
        family, = struct.unpack("<I", data[:4])
        hdr = header_fn(family)
        res.append((sec, usec, hdr + data[4:], origlen - 4 + len(hdr)))
    return res


def sll(family):
    proto = 0x0800 if family == 2 else 0x86DD
    # packet type 4 (outgoing), ARPHRD_LOOPBACK 772, address length 0.
    return struct.pack(">HHH8sH", 4, 772, 0, b"", proto)


def sll2(family):
    proto = 0x0800 if family == 2 else 0x86DD
    # protocol, reserved, ifindex 1, ARPHRD_LOOPBACK, packet type 4, addr len 0
    return struct.pack(">HHIHBB8s", proto, 0, 1, 772, 4, 0, b"")


def pad4(b):
    return b + b"\0" * (-len(b) % 4)


def opt(e, code, value):
    return struct.pack(e + "HH", code, len(value)) + pad4(value)


def opts(e, items):
    if not items:
        return b""
    return b"".join(opt(e, c, v) for c, v in items) + struct.pack(e + "HH", 0, 0)


def block(e, btype, body):
    body = pad4(body)
    total = len(body) + 12
    return struct.pack(e + "II", btype, total) + body + struct.pack(e + "I", total)


def shb(e):
    body = struct.pack(e + "IHHq", 0x1A2B3C4D, 1, 0, -1)
    body += opts(e, [(4, b"rike make_derived.py")])  # shb_userappl
    return block(e, 0x0A0D0D0A, body)


def idb(e, linktype, options):
    return block(e, 1, struct.pack(e + "HHI", linktype, 0, 0) + opts(e, options))


def epb(e, if_id, ts, data, origlen, options=()):
    body = struct.pack(e + "IIIII", if_id, ts >> 32, ts & 0xFFFFFFFF, len(data), origlen)
    return block(e, 6, body + pad4(data) + opts(e, list(options)))


def opb(e, if_id, ts, data, origlen):
    body = struct.pack(e + "HHIIII", if_id, 0, ts >> 32, ts & 0xFFFFFFFF, len(data), origlen)
    return block(e, 2, body + pad4(data))


def spb(e, data, origlen):
    return block(e, 3, struct.pack(e + "I", origlen) + pad4(data))


def csum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def tcp_seg(src, dst, sport, dport, seq, ack, flags, data):
    """Ethernet + 802.1Q + IPv4/IPv6 + TCP frame with valid checksums."""
    hdr = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, 8192, 0, 0)
    seg = hdr + data
    if len(src) == 4:
        pseudo = src + dst + struct.pack("!BBH", 0, 6, len(seg))
    else:
        pseudo = src + dst + struct.pack("!IxxxB", len(seg), 6)
    seg = seg[:16] + struct.pack("!H", csum(pseudo + seg)) + seg[18:]
    if len(src) == 4:
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(seg), 1, 0x4000, 64, 6, 0, src, dst)
        ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
        et = 0x0800
    else:
        ip = struct.pack("!IHBB16s16s", 0x60000000, len(seg), 6, 64, src, dst)
        et = 0x86DD
    eth = b"\x02\0\0\0\0\x02" + b"\x02\0\0\0\0\x01" + struct.pack("!HHH", 0x8100, 42, et)
    return eth + ip + seg


def tcp_reorder():
    c4, s4 = bytes([10, 1, 0, 1]), bytes([10, 2, 0, 2])
    c6 = bytes.fromhex("20010db8000000000000000000000001")
    s6 = bytes.fromhex("20010db8000000000000000000000002")
    S, A, F, P = 0x02, 0x10, 0x01, 0x08
    cs = lambda seq, ack, fl, d=b"": tcp_seg(c4, s4, 50000, 4500, seq, ack, fl, d)
    sc = lambda seq, ack, fl, d=b"": tcp_seg(s4, c4, 4500, 50000, seq, ack, fl, d)
    frames = [
        cs(1000, 0, S),                                   # 1 SYN
        sc(5000, 1001, S | A, b"srv0"),                   # 2 SYN-ACK with data
        cs(1001, 5005, A),                                # 3
        cs(1001, 5005, A | P, b"IKETCPAAAA"),             # 4 in order
        cs(1021, 5005, A | P, b"CCCCCCCCCC"),             # 5 out of order
        cs(1011, 5005, A | P, b"BBBBBBBBBB"),             # 6 fills the gap
        cs(1011, 5005, A | P, b"BBBBBBBBBB"),             # 7 retransmission
        cs(1026, 5005, A | P, b"CCCCCDDDDD"),             # 8 overlap + 5 new
        sc(5005, 1036, A | P, b"srv1"),                   # 9
        cs(1036, 5009, A | P | F, b"EEEE"),               # 10 data + FIN
        sc(5009, 1041, A | F),                            # 11 FIN-ACK
        cs(1041, 5010, A),                                # 12
        # IPv6, no handshake captured; 7004..7008 never captured.
        tcp_seg(c6, s6, 50001, 4500, 7000, 9000, A | P, b"six1"),   # 13
        tcp_seg(c6, s6, 50001, 4500, 7008, 9000, A | P, b"six3"),   # 14 after a hole
        tcp_seg(s6, c6, 4500, 50001, 9000, 7012, A, b""),          # 15 ACKs the hole
        tcp_seg(s6, c6, 4500, 50001, 9000, 7012, A | P, b"back"),  # 16
    ]
    write_pcap("tcp-reorder.pcap", "<", 0xA1B2C3D4, 1,
               [(1700000000 + i, 0, f, len(f)) for i, f in enumerate(frames)])


def main():
    tcp_reorder()
    lt, four = read_pcap(os.path.join(DATA, "tcpdump", "ikev2four.pcap"))
    assert lt == 0
    plain = [(s, u, d, o) for s, u, _c, o, d in four]

    write_pcap("ikev2four-be.pcap", ">", 0xA1B2C3D4, 0,
               [(s, u, d[:4][::-1] + d[4:], o) for s, u, d, o in plain])
    write_pcap("ikev2four-be-nsec.pcap", ">", 0xA1B23C4D, 0,
               [(s, u * 1000 + i + 1, d[:4][::-1] + d[4:], o)
                for i, (s, u, d, o) in enumerate(plain)])
    write_pcap("ikev2four-sll.pcap", "<", 0xA1B2C3D4, 113, null_to(four, sll))
    write_pcap("ikev2four-sll2.pcap", "<", 0xA1B2C3D4, 276, null_to(four, sll2))
    write_pcap("ikev2four-loop.pcap", "<", 0xA1B2C3D4, 108,
               null_to(four, lambda fam: struct.pack(">I", 24 if fam != 2 else 2)))

    _, client = read_pcap(os.path.join(DATA, "zeek-spicy-ipsec", "ipsec_client.pcap"))
    lt, tcp = read_pcap(os.path.join(DATA, "crafted", "ikev2-tcp-rfc8229.pcap"))
    assert lt == 228

    def usec(fr):
        return fr[0] * 1_000_000 + fr[1]

    e = ">"
    out = [shb(e)]
    out.append(idb(e, 0, [(2, b"lo0"), (9, b"\x06")]))
    # Ethernet, nanoseconds, if_tsoffset = 1000 s.
    out.append(idb(e, 1, [(2, b"eth0"), (9, b"\x09"), (14, struct.pack(e + "q", 1000))]))
    # Raw IPv4, 2^-20 s units.
    out.append(idb(e, 228, [(2, b"tun0"), (9, b"\x94")]))
    f = four[0]
    out.append(epb(e, 0, usec(f), f[4], f[3], [(1, b"first")]))          # frame 1
    # Wireshark gives custom blocks a frame number (2 here) but no packet;
    # decryption-secrets and unknown blocks get none.
    out.append(block(e, 0x00000BAD, struct.pack(e + "I", 32473) + b"custom data!"))
    out.append(block(e, 0x0000000A, struct.pack(e + "II", 0x544C534B, 4) + b"abcd"))
    out.append(block(e, 0x80000123, b"local use"))
    for i, fr in enumerate(client[2:5]):                                  # frames 3-5
        ts = (fr[0] - 1000) * 1_000_000_000 + fr[1] * 1000 + 7
        if i == 1:
            out.append(opb(e, 1, ts, fr[4], fr[3]))
        else:
            out.append(epb(e, 1, ts, fr[4], fr[3]))
    out.append(block(e, 4, struct.pack(e + "HH", 1, 8) + bytes([192, 0, 2, 10]) + b"a.b\0"
                     + struct.pack(e + "HH", 0, 0)))                      # NRB
    for fr in tcp:                                                        # frames 6-12
        ts = ((fr[0] * 1_000_000 + fr[1]) << 20) // 1_000_000
        out.append(epb(e, 2, ts, fr[4], fr[3]))
    out.append(block(e, 5, struct.pack(e + "III", 0, 0, 0)))              # ISB
    # Second section, little-endian, one SLL2 interface, snaplen 0.
    e = "<"
    out.append(shb(e))
    out.append(idb(e, 276, [(2, b"any")]))
    f = null_to(four[1:2], sll2)[0]
    out.append(epb(e, 0, f[0] * 1_000_000 + f[1], f[2], f[3]))            # frame 13
    f = null_to(four[2:3], sll2)[0]
    out.append(spb(e, f[2], f[3]))                                        # frame 14
    with open(os.path.join(HERE, "multi-section.pcapng"), "wb") as fh:
        fh.write(b"".join(out))


if __name__ == "__main__":
    main()
