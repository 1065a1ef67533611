//! The readable tree, in the manner of `tshark -V`.

use std::io::{self, Write};

use rike::dissect::{display, Carrier, Severity};

use super::dissect_cmd::Item;

fn carrier_name(c: Carrier) -> &'static str {
    match c {
        Carrier::Plain => "UDP",
        Carrier::UdpEncap => "UDP-encap",
        Carrier::TcpFrame | Carrier::TcpPrefix => "TCP (RFC 8229)",
    }
}

/// Writes one item as an indented tree.
pub fn write_item(out: &mut impl Write, item: &Item<'_>) -> io::Result<()> {
    let d = item.dissection;
    let buf: &[u8] = &item.pdu.bytes;
    writeln!(
        out,
        "Frame {}: {} -> {} {}: {}",
        item.pdu.frame,
        item.pdu.src,
        item.pdu.dst,
        carrier_name(item.pdu.carrier),
        d.summary
    )?;
    writeln!(
        out,
        "Internet Security Association and Key Management Protocol (rike)"
    )?;
    let mut experts = d.experts.iter().peekable();
    for (i, r) in d.records.iter().enumerate() {
        let indent = 4 * (usize::from(r.depth) + 1);
        writeln!(out, "{:indent$}{}", "", display(d, r, buf))?;
        while let Some(e) = experts.next_if(|e| e.record as usize == i) {
            let sev = match e.expert.desc().severity {
                Severity::Note => "Note",
                Severity::Warning => "Warning",
                Severity::Error => "Error",
            };
            writeln!(
                out,
                "{:indent$}    [Expert Info ({sev}): {}]",
                "",
                d.text_of(e.text),
            )?;
        }
    }
    for e in experts {
        writeln!(out, "    [Expert Info: {}]", d.text_of(e.text))?;
    }
    writeln!(out)
}
