//! `rike dissect`: captures in, one tree (or JSON object) per IKE message
//! out.

use std::io::{self, BufWriter, Write};
use std::path::PathBuf;

use rike::capture::{Capture, Decoder, Pdu, PduExtractor, Ports, Segment};
use rike::dissect::{CaptureState, Carrier, PduInfo};

/// The sample shown by `rike` without arguments: crafted IKEv1 Main,
/// Aggressive and Quick Mode, IKEv2 IKE_SA_INIT, NAT-T on UDP 4500, RFC 7383
/// fragments and RFC 8229 TCP (see tests/data/README.md).
const SAMPLE: &[u8] = include_bytes!("../../../tests/data/crafted/crafted-all.pcap");

/// Arguments of `rike dissect`.
#[derive(clap::Args, Debug, Default)]
pub struct Args {
    /// Print one JSON object per IKE message (one per line).
    #[arg(long)]
    json: bool,
    /// Extra UDP ports carrying bare IKE (default: 500).
    #[arg(long = "udp-port", value_name = "PORT")]
    udp_ports: Vec<u16>,
    /// Extra TCP ports carrying RFC 8229 frames (default: 4500; streams
    /// starting with "IKETCP" are found on any port).
    #[arg(long = "tcp-port", value_name = "PORT")]
    tcp_ports: Vec<u16>,
    /// Key file or directory to decrypt with (repeatable): Wireshark's
    /// ikev1/ikev2_decryption_table, strongSwan save-keys output, tcpdump
    /// -E / pluto "ikev2 I|R" lines, or a rike key log.
    #[arg(long = "keys", value_name = "PATH")]
    keys: Vec<PathBuf>,
    /// Capture files (pcap or pcapng). Without any, the embedded sample.
    files: Vec<PathBuf>,
}

/// One dissected message, ready for a renderer.
pub struct Item<'a> {
    /// Capture name.
    pub file: &'a str,
    /// The PDU.
    pub pdu: &'a Pdu<'a>,
    /// Its dissection.
    pub dissection: &'a rike::dissect::Dissection,
    /// Capture timestamp (seconds).
    pub time: f64,
}

/// Turns an output error into the command's error; a closed pipe (e.g.
/// `rike dissect f | head`) ends the output quietly.
fn out_err(e: io::Error) -> String {
    if e.kind() == io::ErrorKind::BrokenPipe {
        String::new()
    } else {
        e.to_string()
    }
}

/// Runs the command; the error is one line for the user (empty when the
/// reader of the output went away).
pub fn run(args: &Args) -> Result<(), String> {
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let mut keys = rike::dissect::keys::KeyStore::new();
    for k in &args.keys {
        keys.load_path(k)
            .map_err(|e| format!("{}: {e}", k.display()))?;
    }
    for (src, line, why) in &keys.problems {
        eprintln!("rike: {src}:{line}: ignored: {why}");
    }
    let mut ports = Ports::default();
    ports.udp_plain.extend(&args.udp_ports);
    ports.tcp.extend(&args.tcp_ports);
    if args.files.is_empty() {
        if !args.json {
            writeln!(
                out,
                "# rike dissect: embedded sample capture (run `rike dissect FILE` for your own)"
            )
            .map_err(out_err)?;
        }
        let sample_keys = include_str!("../../../tests/data/crafted/ikev2_decryption_table");
        keys.load_str("embedded sample keys", sample_keys);
        return one(&mut out, "sample", SAMPLE, args.json, &ports, &keys);
    }
    for path in &args.files {
        let name = path.display().to_string();
        let data = std::fs::read(path).map_err(|e| format!("{name}: {e}"))?;
        one(&mut out, &name, &data, args.json, &ports, &keys)?;
    }
    out.flush().map_err(out_err)
}

fn one(
    out: &mut impl Write,
    name: &str,
    data: &[u8],
    json: bool,
    ports: &Ports,
    keys: &rike::dissect::keys::KeyStore,
) -> Result<(), String> {
    let capture = Capture::parse(data).map_err(|e| format!("{name}: {e}"))?;
    // Two passes, like `tshark -2`: the first teaches the capture state
    // (so a request can name the frame of its response), the second prints.
    let mut state = CaptureState::new();
    *state.keys_mut() = keys.clone();
    walk(&capture, ports, &mut |pdu, time_ns, _| {
        let info = PduInfo {
            frame: pdu.frame,
            time_ns,
            visited: false,
            carrier: pdu.carrier,
        };
        state.dissect(&info, &pdu.bytes);
        Ok(())
    })?;
    let mut count = 0usize;
    let (extractor, trailing_error) = walk(&capture, ports, &mut |pdu, time_ns, time| {
        let info = PduInfo {
            frame: pdu.frame,
            time_ns,
            visited: true,
            carrier: pdu.carrier,
        };
        let d = state.dissect(&info, &pdu.bytes);
        if pdu.carrier == Carrier::TcpPrefix && json {
            return Ok(());
        }
        count += 1;
        let item = Item {
            file: name,
            pdu,
            dissection: &d,
            time,
        };
        let r = if json {
            super::json::write_item(out, &item)
        } else {
            super::text::write_item(out, &item)
        };
        r.map_err(out_err)
    })?;
    for (frame, e) in &extractor.errors {
        eprintln!("rike: {name}: frame {frame}: RFC 8229 stream abandoned: {e}");
    }
    if count == 0 && !json {
        writeln!(out, "{name}: no IKE traffic found").map_err(out_err)?;
    }
    match trailing_error {
        // The good frames were shown; say why the rest was not.
        Some(e) => Err(format!("{name}: {e} (after {count} IKE messages)")),
        None => Ok(()),
    }
}

type Visit<'v> = dyn FnMut(&Pdu<'_>, u64, f64) -> Result<(), String> + 'v;

/// Runs every frame of the capture through the decoder and the PDU
/// extractor, calling `visit(pdu, time_ns, time_s)` for each PDU. Returns
/// the extractor (for its errors) and the container error that ended the
/// walk early, if any.
fn walk(
    capture: &Capture<'_>,
    ports: &Ports,
    visit: &mut Visit<'_>,
) -> Result<(PduExtractor, Option<rike::capture::CaptureError>), String> {
    let mut decoder = Decoder::new();
    let mut extractor = PduExtractor::new(ports.clone());
    let mut segments: Vec<Segment<'_>> = Vec::new();
    let mut pdus: Vec<Pdu<'_>> = Vec::new();
    for frame in capture.frames() {
        let frame = match frame {
            Ok(f) => f,
            Err(e) => return Ok((extractor, Some(e))),
        };
        let time = frame.timestamp.as_secs_f64();
        let time_ns = u64::try_from(frame.timestamp.secs)
            .unwrap_or(0)
            .saturating_mul(1_000_000_000)
            .saturating_add(u64::from(frame.timestamp.nanos));
        segments.clear();
        decoder.decode(&frame, &mut segments);
        pdus.clear();
        for s in &segments {
            extractor.push(s, &mut pdus);
        }
        for pdu in &pdus {
            visit(pdu, time_ns, time)?;
        }
    }
    Ok((extractor, None))
}
