//! riked (examples/riked, the reference C daemon on the C API) against
//! strongSwan and against itself over RFC 8229 TCP: runs
//! `tests/interop/riked.sh` (every scenario; see the script's header and
//! tests/interop/README.md). The script builds riked against a release
//! librike installed with tools/install-capi.sh, as a user would.
//!
//! Needs root, strongSwan's charon and swanctl, tshark/dumpcap, ip, ping,
//! openssl, python3, cc and pkg-config. Without them it prints why and
//! passes, unless `RIKE_REQUIRE_INTEROP=1` (CI sets it), which makes a
//! missing prerequisite a failure. `RIKE_SKIP_INTEROP=1` skips it.

use std::path::Path;
use std::process::Command;

const CHARON: &str = "/usr/lib/ipsec/charon";

fn on_path(tool: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|d| d.join(tool).is_file()))
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

fn missing() -> Vec<String> {
    let mut m = Vec::new();
    if !is_root() {
        m.push("root (network namespaces)".to_string());
    }
    if !Path::new(CHARON).exists() {
        m.push(CHARON.to_string());
    }
    for tool in [
        "swanctl",
        "ip",
        "ping",
        "dumpcap",
        "tshark",
        "openssl",
        "python3",
        "unshare",
        "cc",
        "pkg-config",
    ] {
        if !on_path(tool) {
            m.push(tool.to_string());
        }
    }
    m
}

#[test]
fn riked_interoperates_with_strongswan_and_itself_over_tcp() {
    if std::env::var("RIKE_SKIP_INTEROP").is_ok_and(|v| v == "1") {
        eprintln!("riked interop SKIPPED: RIKE_SKIP_INTEROP=1");
        return;
    }
    let missing = missing();
    if !missing.is_empty() {
        let why = format!("riked interop needs {}", missing.join(", "));
        if std::env::var("RIKE_REQUIRE_INTEROP").is_ok_and(|v| v == "1") {
            panic!("{why} (RIKE_REQUIRE_INTEROP=1)");
        }
        eprintln!("riked interop SKIPPED: {why} (RIKE_SKIP_INTEROP=1 silences this)");
        return;
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/interop/riked.sh");
    let out = Command::new("bash")
        .arg(&script)
        .env("RIKE_BIN", env!("CARGO_BIN_EXE_rike"))
        .env("CARGO", env!("CARGO"))
        .output()
        .expect("run tests/interop/riked.sh");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    eprintln!("{stderr}{stdout}");
    assert!(
        out.status.success(),
        "riked interop scenarios failed (see above)"
    );
    assert!(
        stdout.contains(" passed, 0 failed"),
        "no summary line from riked.sh"
    );
}
