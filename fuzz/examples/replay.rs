//! Runs one target's check on input files, without libFuzzer, printing
//! each file's outcome (debugging aid):
//!
//! ```text
//! cargo run --manifest-path fuzz/Cargo.toml --example replay -- TARGET FILE...
//! ```
//!
//! Uses the `check_*` functions (no known-bug filter); exits 1 if any file
//! fails.

fn main() {
    let mut args = std::env::args().skip(1);
    let target = args.next().expect("usage: replay TARGET FILE...");
    let check: fn(&[u8]) = match target.as_str() {
        "parse_strict" => rike_fuzz::check_parse_strict,
        "parse_lax" => rike_fuzz::check_parse_lax,
        "tcp_reassembler" => rike_fuzz::check_tcp_reassembler,
        "roundtrip_emit" => rike_fuzz::check_roundtrip_emit,
        "engine_exchange" => |d: &[u8]| {
            rike_fuzz::check_engine_exchange(d);
        },
        t => panic!("unknown target {t}"),
    };
    let mut failed = false;
    for f in args {
        let data = std::fs::read(&f).unwrap();
        let ok = std::panic::catch_unwind(|| check(&data)).is_ok();
        println!("{} {f}", if ok { "ok  " } else { "FAIL" });
        failed |= !ok;
    }
    std::process::exit(i32::from(failed));
}
