//! Runs one of the interop scripts of `tests/interop/` from cargo: checks
//! its prerequisites first (root for the network namespaces, strongSwan's
//! charon, the tools), then runs it and asserts its summary line.
//!
//! Without a prerequisite the test prints why and passes, unless
//! `RIKE_REQUIRE_INTEROP=1` (CI sets it), which makes that a failure;
//! `RIKE_SKIP_INTEROP=1` skips it explicitly.

use std::path::Path;
use std::process::Command;

const CHARON: &str = "/usr/lib/ipsec/charon";

/// Tools every script needs.
const TOOLS: &[&str] = &[
    "swanctl", "ip", "ping", "dumpcap", "tshark", "openssl", "python3", "unshare",
];

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
fn missing(extra_tools: &[&str]) -> Vec<String> {
    let mut m = Vec::new();
    if !is_root() {
        m.push("root (network namespaces)".to_string());
    }
    if !Path::new(CHARON).exists() {
        m.push(CHARON.to_string());
    }
    for tool in TOOLS.iter().chain(extra_tools) {
        if !on_path(tool) {
            m.push(tool.to_string());
        }
    }
    m
}

/// Runs `tests/interop/<script>` with `envs` (every scenario) and asserts
/// that it passed; `label` names it in messages.
pub fn run_interop(label: &str, script: &str, extra_tools: &[&str], envs: &[(&str, &str)]) {
    if std::env::var("RIKE_SKIP_INTEROP").is_ok_and(|v| v == "1") {
        eprintln!("{label} SKIPPED: RIKE_SKIP_INTEROP=1");
        return;
    }
    let missing = missing(extra_tools);
    if !missing.is_empty() {
        let why = format!("{label} needs {}", missing.join(", "));
        if std::env::var("RIKE_REQUIRE_INTEROP").is_ok_and(|v| v == "1") {
            panic!("{why} (RIKE_REQUIRE_INTEROP=1)");
        }
        eprintln!("{label} SKIPPED: {why} (RIKE_SKIP_INTEROP=1 silences this; see tests/interop/README.md)");
        return;
    }
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/interop")
        .join(script);
    let mut cmd = Command::new("bash");
    cmd.arg(&path);
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("run {}: {e}", path.display()));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    eprintln!("{stderr}{stdout}");
    assert!(
        out.status.success(),
        "{label} scenarios failed (see the lines above)"
    );
    assert!(
        stdout.contains(" passed, 0 failed"),
        "no summary line from {script}"
    );
}
