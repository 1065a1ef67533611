//! Prints, for every capture under tests/data, how many IKE messages parse
//! strictly and how many re-emit byte for byte.
use rike::capture::{Capture, Decoder, PduExtractor, Ports};
use rike::dissect::Carrier;
use rike::wire::transport::{classify_tcp_frame, classify_udp_encap, Encapsulated};

fn main() {
    let dir = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "tests/data".into());
    let mut files = Vec::new();
    let mut stack = vec![std::path::PathBuf::from(dir)];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p)
            } else if matches!(
                p.extension().and_then(|e| e.to_str()),
                Some("pcap" | "pcapng" | "cap")
            ) {
                files.push(p)
            }
        }
    }
    files.sort();
    for f in files {
        let data = std::fs::read(&f).unwrap();
        let Ok(cap) = Capture::parse(&data) else {
            continue;
        };
        let mut dec = Decoder::new();
        let mut ex = PduExtractor::new(Ports::default());
        let (mut n, mut ok, mut rt) = (0, 0, 0);
        let mut segs = Vec::new();
        let mut pdus = Vec::new();
        for fr in cap.frames().flatten() {
            segs.clear();
            dec.decode(&fr, &mut segs);
            pdus.clear();
            for s in &segs {
                ex.push(s, &mut pdus);
            }
            for p in &pdus {
                let ike = match p.carrier {
                    Carrier::Plain => Some(&p.bytes[..]),
                    Carrier::UdpEncap => match classify_udp_encap(&p.bytes) {
                        Ok(Encapsulated::Ike(i)) => Some(i),
                        _ => None,
                    },
                    Carrier::TcpFrame => match classify_tcp_frame(&p.bytes[2..], 2) {
                        Ok(Encapsulated::Ike(i)) => Some(i),
                        _ => None,
                    },
                    Carrier::TcpPrefix => None,
                };
                let Some(ike) = ike else { continue };
                n += 1;
                match rike::wire::validate(ike) {
                    Ok(_) => {
                        ok += 1;
                        if rike::wire::reemit::reemit(ike).as_deref() == Ok(ike) {
                            rt += 1
                        } else {
                            eprintln!("  RT FAIL {} frame {}", f.display(), p.frame)
                        }
                    }
                    Err(e) => eprintln!("  invalid {} frame {}: {e}", f.display(), p.frame),
                }
            }
        }
        println!("{:70} msgs={n} strict_ok={ok} roundtrip={rt}", f.display());
    }
}
