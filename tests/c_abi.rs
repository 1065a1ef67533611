//! Runs the C API tests (`tests/c/run.sh`): the header compiled as strict
//! C and C++, the version macros against the runtime functions, the
//! dissection and engine APIs in normal use and misuse (two engines
//! through a full connect/rekey/delete cycle, engines on several threads)
//! under AddressSanitizer + UBSan, valgrind and plain, the installed
//! library (SONAME, pkg-config), dlopen into a host with its own `ike_`
//! symbols, the reference daemon riked, and the exported-symbol checks.
//!
//! Needs `cc`, `c++`, `valgrind`, `nm`, `readelf` and `pkg-config` on
//! PATH; fails loudly when one is missing. `RIKE_SKIP_C=1` skips the test
//! explicitly.

use std::path::Path;
use std::process::Command;

fn have(tool: &str) -> bool {
    Command::new(tool)
        .arg("--version")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

#[test]
fn c_api_under_sanitizers_and_valgrind() {
    if std::env::var_os("RIKE_SKIP_C").is_some_and(|v| v == "1") {
        eprintln!("RIKE_SKIP_C=1: C API tests skipped");
        return;
    }
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
    let cxx = std::env::var("CXX").unwrap_or_else(|_| "c++".into());
    let missing: Vec<&str> = [
        cc.as_str(),
        cxx.as_str(),
        "valgrind",
        "nm",
        "readelf",
        "pkg-config",
        "bash",
    ]
    .into_iter()
    .filter(|t| !have(t))
    .collect();
    assert!(
        missing.is_empty(),
        "the C API tests need {missing:?} on PATH (install them, or set RIKE_SKIP_C=1 to skip)"
    );

    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = Command::new("bash")
        .arg(root.join("tests/c/run.sh"))
        .current_dir(root)
        .env("CARGO", env!("CARGO"))
        .output()
        .expect("cannot run tests/c/run.sh");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    // Shown with --nocapture, and on failure.
    println!("{stdout}");
    eprintln!("{stderr}");
    assert!(
        out.status.success(),
        "tests/c/run.sh failed ({}):\n{}",
        out.status,
        stdout
            .lines()
            .chain(stderr.lines())
            .filter(|l| l.starts_with("FAILED") || l.starts_with("  - "))
            .collect::<Vec<_>>()
            .join("\n")
    );
}
