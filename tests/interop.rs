//! rike against strongSwan: runs `tests/interop/run.sh` (every scenario,
//! rike as initiator and as responder, in network namespaces; see
//! tests/interop/README.md) with the `rike` binary of this build.
//!
//! It needs root and strongSwan's charon, swanctl, tshark/dumpcap, ip,
//! ping, openssl and python3. Without them it prints why and passes, unless
//! `RIKE_REQUIRE_INTEROP=1` (CI sets it), which makes a missing
//! prerequisite a failure. `RIKE_SKIP_INTEROP=1` skips it explicitly.

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

/// What is missing to run the scenarios, if anything.
fn missing() -> Vec<String> {
    let mut m = Vec::new();
    if !is_root() {
        m.push("root (network namespaces)".to_string());
    }
    if !Path::new(CHARON).exists() {
        m.push(CHARON.to_string());
    }
    for tool in [
        "swanctl", "ip", "ping", "dumpcap", "tshark", "openssl", "python3", "unshare",
    ] {
        if !on_path(tool) {
            m.push(tool.to_string());
        }
    }
    m
}

#[test]
fn rike_interoperates_with_strongswan() {
    if std::env::var("RIKE_SKIP_INTEROP").is_ok_and(|v| v == "1") {
        eprintln!("interop SKIPPED: RIKE_SKIP_INTEROP=1");
        return;
    }
    let missing = missing();
    if !missing.is_empty() {
        let why = format!("interop needs {}", missing.join(", "));
        if std::env::var("RIKE_REQUIRE_INTEROP").is_ok_and(|v| v == "1") {
            panic!("{why} (RIKE_REQUIRE_INTEROP=1)");
        }
        eprintln!("interop SKIPPED: {why} (RIKE_SKIP_INTEROP=1 silences this; see tests/interop/README.md)");
        return;
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/interop/run.sh");
    let out = Command::new("bash")
        .arg(&script)
        .env("RIKE_BIN", env!("CARGO_BIN_EXE_rike"))
        .output()
        .expect("run tests/interop/run.sh");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    eprintln!("{stderr}{stdout}");
    assert!(
        out.status.success(),
        "interop scenarios failed (see the lines above)"
    );
    assert!(
        stdout.contains(" passed, 0 failed"),
        "no summary line from run.sh"
    );
}
