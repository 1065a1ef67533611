//! Keeps `include/rike.h` in step with the sources:
//!
//! * the committed header equals the one the build generates (`build.rs`
//!   regenerates it on every build, so after `cargo test` has built the
//!   crate a stale committed copy shows as a `git diff`);
//! * every `rike_*` prototype of the header has a `#[no_mangle]` function
//!   in `src/ffi`, and every `#[no_mangle]` function is in the header,
//!   once;
//! * the version macros equal Cargo's package version, and the `RIKE_*`
//!   constants of `src/ffi` appear as macros with the same value.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn header() -> String {
    std::fs::read_to_string(root().join("include/rike.h")).expect("include/rike.h")
}

/// The text with C comments (block and line) replaced by spaces, and
/// string literals kept.
fn strip_c_comments(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'"' {
            let start = i;
            i += 1;
            while i < b.len() && b[i] != b'"' {
                if b[i] == b'\\' {
                    i += 1;
                }
                i += 1;
            }
            i = (i + 1).min(b.len());
            out.push_str(&s[start..i]);
        } else if s[i..].starts_with("/*") {
            let end = s[i + 2..].find("*/").map_or(b.len(), |e| i + 2 + e + 2);
            out.push(' ');
            i = end;
        } else if s[i..].starts_with("//") {
            let end = s[i..].find('\n').map_or(b.len(), |e| i + e);
            i = end;
        } else {
            let ch = s[i..].chars().next().unwrap();
            out.push(ch);
            i += ch.len_utf8();
        }
    }
    out
}

fn is_ident(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

/// Names of the functions the header declares, with how often each is
/// declared: every identifier `rike_…` directly followed by `(`.
fn header_functions() -> BTreeMap<String, usize> {
    let code = strip_c_comments(&header());
    let b = code.as_bytes();
    let mut found = BTreeMap::new();
    let mut i = 0;
    while let Some(p) = code[i..].find("rike_") {
        let start = i + p;
        let mut end = start;
        while end < b.len() && is_ident(b[end]) {
            end += 1;
        }
        let boundary = start == 0 || !is_ident(b[start - 1]);
        let mut j = end;
        while j < b.len() && b[j].is_ascii_whitespace() {
            j += 1;
        }
        if boundary && j < b.len() && b[j] == b'(' {
            *found.entry(code[start..end].to_string()).or_insert(0) += 1;
        }
        i = end.max(start + 1);
    }
    found
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .flatten()
        .map(|e| e.path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

/// `#[no_mangle]` functions of the crate: (name, file, whether the
/// signature says `extern "C"`).
fn no_mangle_functions() -> Vec<(String, PathBuf, bool)> {
    let mut files = Vec::new();
    rust_files(&root().join("src"), &mut files);
    let mut found = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        for (n, line) in lines.iter().enumerate() {
            let t = line.trim();
            if t != "#[no_mangle]" && t != "#[unsafe(no_mangle)]" {
                continue;
            }
            // The item follows, after more attributes and doc comments;
            // its signature may span lines up to the first '(' .
            let mut sig = String::new();
            for l in &lines[n + 1..] {
                let l = l.trim();
                if sig.is_empty() && (l.starts_with("#[") || l.starts_with("///")) {
                    continue;
                }
                sig.push_str(l);
                sig.push(' ');
                if l.contains('(') || l.contains(';') || l.contains('{') {
                    break;
                }
            }
            let Some(p) = sig.find("fn ") else {
                panic!(
                    "{}:{}: #[no_mangle] on something other than a function: {sig}",
                    f.display(),
                    n + 1
                );
            };
            let name: String = sig[p + 3..]
                .trim_start()
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            found.push((name, f.clone(), sig[..p].contains("extern \"C\"")));
        }
    }
    found
}

/// `#define NAME VALUE` lines of the header.
fn header_defines() -> BTreeMap<String, String> {
    strip_c_comments(&header())
        .lines()
        .filter_map(|l| {
            let rest = l.trim().strip_prefix("#define")?.trim_start();
            let (name, value) = rest.split_once(char::is_whitespace)?;
            Some((name.to_string(), value.trim().to_string()))
        })
        .collect()
}

#[test]
fn committed_header_matches_the_generated_one() {
    if std::env::var_os("RIKE_NO_HEADER").is_some() {
        eprintln!(
            "RIKE_NO_HEADER is set: the build did not regenerate include/rike.h; check skipped"
        );
        return;
    }
    let git = |args: &[&str]| {
        Command::new("git")
            .arg("--no-optional-locks")
            .arg("-C")
            .arg(root())
            .args(args)
            .output()
    };
    match git(&["ls-files", "--error-unmatch", "include/rike.h"]) {
        Err(e) => {
            eprintln!("git not available ({e}): committed-header check skipped");
            return;
        }
        Ok(o) if !o.status.success() => {
            eprintln!(
                "include/rike.h is not tracked by git here (or this is not a git checkout): \
                 committed-header check skipped\n{}",
                String::from_utf8_lossy(&o.stderr)
            );
            return;
        }
        Ok(_) => {}
    }
    // `cargo test` built the crate first, and build.rs rewrote the header
    // if its sources changed: any difference from the index is staleness.
    let o = git(&[
        "diff",
        "--no-ext-diff",
        "--exit-code",
        "--",
        "include/rike.h",
    ])
    .unwrap();
    match o.status.code() {
        Some(0) => {}
        Some(1) => panic!(
            "include/rike.h is out of date: commit the regenerated header.\n{}",
            String::from_utf8_lossy(&o.stdout)
        ),
        _ => eprintln!(
            "git diff failed ({}): committed-header check skipped\n{}",
            o.status,
            String::from_utf8_lossy(&o.stderr)
        ),
    }
}

#[test]
fn header_prototypes_match_no_mangle_functions() {
    let declared: BTreeSet<String> = header_functions().into_keys().collect();
    let exported = no_mangle_functions();
    assert!(
        !exported.is_empty(),
        "no #[no_mangle] function found under src/"
    );

    let mut problems = Vec::new();
    for (name, file, extern_c) in &exported {
        let rel = file.strip_prefix(root()).unwrap_or(file).display();
        if !name.starts_with("rike_") {
            problems.push(format!(
                "{rel}: #[no_mangle] fn {name} lacks the rike_ prefix"
            ));
        }
        if !file.starts_with(root().join("src/ffi")) {
            problems.push(format!("{rel}: #[no_mangle] fn {name} outside src/ffi"));
        }
        if !extern_c {
            problems.push(format!("{rel}: #[no_mangle] fn {name} is not extern \"C\""));
        }
        if !declared.contains(name) {
            problems.push(format!(
                "{rel}: #[no_mangle] fn {name} is missing from include/rike.h"
            ));
        }
    }
    let exported_names: BTreeSet<&str> = exported.iter().map(|(n, _, _)| n.as_str()).collect();
    for name in &declared {
        if !exported_names.contains(name.as_str()) {
            problems.push(format!(
                "include/rike.h declares {name}, which no #[no_mangle] function in src/ffi defines"
            ));
        }
    }
    let mut seen = BTreeSet::new();
    for n in &exported_names {
        if !seen.insert(*n) {
            problems.push(format!("#[no_mangle] fn {n} defined twice"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn header_declares_each_function_once() {
    let twice: Vec<String> = header_functions()
        .into_iter()
        .filter(|(_, n)| *n != 1)
        .map(|(f, n)| format!("{f} ({n} times)"))
        .collect();
    assert!(
        twice.is_empty(),
        "include/rike.h declares functions more than once (cbindgen read a file twice?): {}",
        twice.join(", ")
    );
}

#[test]
fn version_macros_match_cargo() {
    let d = header_defines();
    let get = |k: &str| {
        d.get(k)
            .unwrap_or_else(|| panic!("include/rike.h lacks #define {k}"))
            .clone()
    };
    let num = |s: &str| s.parse::<u32>().unwrap();
    let (major, minor, patch) = (
        env!("CARGO_PKG_VERSION_MAJOR"),
        env!("CARGO_PKG_VERSION_MINOR"),
        env!("CARGO_PKG_VERSION_PATCH"),
    );
    assert_eq!(get("RIKE_VERSION_MAJOR"), major);
    assert_eq!(get("RIKE_VERSION_MINOR"), minor);
    assert_eq!(get("RIKE_VERSION_PATCH"), patch);
    assert_eq!(
        get("RIKE_VERSION_STRING"),
        format!("\"{major}.{minor}.{patch}\"")
    );
    if env!("CARGO_PKG_VERSION_PRE").is_empty() {
        assert_eq!(
            get("RIKE_VERSION_STRING"),
            format!("\"{}\"", env!("CARGO_PKG_VERSION"))
        );
    }
    let packed = get("RIKE_VERSION_NUMBER");
    let packed = u32::from_str_radix(
        packed
            .strip_prefix("0x")
            .expect("RIKE_VERSION_NUMBER in hex"),
        16,
    )
    .unwrap();
    assert!(
        num(minor) < 256 && num(patch) < 256,
        "version parts exceed 8 bits"
    );
    assert_eq!(
        packed,
        (num(major) << 16) | (num(minor) << 8) | num(patch),
        "RIKE_VERSION_NUMBER is not MAJOR << 16 | MINOR << 8 | PATCH"
    );
    // And the runtime functions agree (the test links the rlib).
    assert_eq!(rike::ffi::version::rike_version_number(), packed);
    let v = unsafe { std::ffi::CStr::from_ptr(rike::ffi::version::rike_version()) };
    assert_eq!(
        format!("\"{}\"", v.to_str().unwrap()),
        get("RIKE_VERSION_STRING")
    );
    assert_eq!(
        get("RIKE_ABI_VERSION"),
        rike::ffi::version::rike_abi_version().to_string()
    );
}

/// `pub const RIKE_…: u32 = N;` of `src/ffi` appear as `#define RIKE_… N`.
#[test]
fn ffi_constants_are_header_macros() {
    let d = header_defines();
    let mut files = Vec::new();
    rust_files(&root().join("src/ffi"), &mut files);
    let mut problems = Vec::new();
    let mut count = 0;
    for f in files {
        for line in std::fs::read_to_string(&f).unwrap().lines() {
            let Some(rest) = line.trim().strip_prefix("pub const RIKE_") else {
                continue;
            };
            let Some((name, value)) = rest.split_once(':') else {
                continue;
            };
            let name = format!("RIKE_{}", name.trim());
            let value = value
                .split_once('=')
                .map(|(_, v)| v.trim().trim_end_matches(';').trim().replace('_', ""))
                .unwrap_or_default();
            count += 1;
            match d.get(&name) {
                None => problems.push(format!("{name} is missing from include/rike.h")),
                Some(v) if *v != value => {
                    problems.push(format!("{name}: header says {v}, src/ffi says {value}"))
                }
                Some(_) => {}
            }
        }
    }
    assert!(count > 0, "no pub const RIKE_* found in src/ffi");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
