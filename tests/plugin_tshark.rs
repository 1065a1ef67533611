//! The Wireshark plugin (`plugin/`) inside the real tshark.
//!
//! `tests/plugin/run.sh build` builds librike.a and rike.so, checks that
//! only the plugin ABI symbols are exported and lays out a plugin
//! directory. tshark then runs with `WIRESHARK_PLUGIN_DIR` set — as uid
//! 65534 when we are root, because root's tshark ignores that variable and
//! the personal plugin directory — over every capture in tests/data:
//!
//! - (a) the plugin never crashes, hangs or trips an assertion (`-V`,
//!   two-pass `-2 -V`, `-T json`), and tshark's exit status is the one it
//!   has without the plugin;
//! - (b) the plugin agrees with the built-in `isakmp` dissector on at least
//!   99 % of the occurrences of the fields both have (prefix swap
//!   `rike.` ↔ `isakmp.`), and every difference is explained in
//!   tests/plugin/differences.tsv (a listed difference that no longer
//!   occurs fails too); the same with keys over the captures the key
//!   tables of tests/data decrypt (tests/plugin/differences-keys.tsv);
//! - (c) RFC 8229 IKE over TCP dissects as IKE with the plugin (the
//!   built-in shows plain TCP), and NAT-T on UDP 4500 shows the marker,
//!   the keepalive and hands ESP to the `esp` dissector;
//!
//! plus the switches that pick one dissector or the other, Decode As, and
//! the exported symbols.
//!
//! Values are normalised as `tests/common`'s `normalise` does; fields the
//! built-in registers as FT_NONE (a valueless label) but rike with a value
//! are compared by presence. Reports go to `<target>/plugin-test/`:
//! `{nokeys,keys}-agreement.txt` (overall and per field),
//! `{nokeys,keys}-differences.tsv` (every difference with its reason) and
//! `{nokeys,keys}-plugin-only.tsv` (frames only the plugin dissects).
//! Missing tools fail the tests unless `RIKE_SKIP_PLUGIN=1`.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};

use common::{captures, normalise, rel};

/// Seconds before a tshark run counts as hung.
const TIMEOUT_S: &str = "60";
/// Agreement the built-in comparison must reach.
const MIN_AGREEMENT: f64 = 99.0;
/// Fields whose values are names from different tables, not wire data.
const NOT_COMPARED: &[&str] = &["vid_string"];
/// Fields compared only with keys: without them the built-in shows the
/// first 4 octets of an encrypted payload as `isakmp.enc.iv` (it cannot
/// know the cipher's IV length), where rike shows no IV.
const ONLY_WITH_KEYS: &[&str] = &["enc.iv"];
/// Text that must never appear in tshark's output with the plugin.
const FORBIDDEN: &[&str] = &[
    "Dissector bug",
    "assertion",
    "Assertion",
    "CRITICAL",
    "Unhandled exception",
    "Malformed Packet: RIKE",
];
/// Disables the built-in dissectors for the plugin's passes.
const PLUGIN_ONLY: &[&str] = &[
    "--disable-protocol",
    "isakmp",
    "--disable-protocol",
    "udpencap",
    "--disable-protocol",
    "tcpencap",
];

struct Env {
    /// Layout made by `run.sh build`: plugins/, no-plugins/, home/.
    dir: PathBuf,
    /// (name relative to tests/data, copy readable by uid 65534).
    caps: Vec<(String, PathBuf)>,
    /// Report directory.
    report: PathBuf,
    root: PathBuf,
    /// Key tables for the keyed comparison: `keys/` for the plugin
    /// (`-o rike.keys_file:…`), `home-keys/.config/wireshark/` for the
    /// built-in (its UAT files).
    keys: PathBuf,
    home_keys: PathBuf,
}

fn is_root() -> bool {
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

fn env() -> Option<&'static Env> {
    static ENV: OnceLock<Option<Env>> = OnceLock::new();
    ENV.get_or_init(setup).as_ref()
}

fn setup() -> Option<Env> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    let report = target.join("plugin-test");
    let dir = report.join("env");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("caps")).expect("create the plugin test directory");
    // uid 65534 must reach the plugin and the captures.
    for d in [&target, &report, &dir, &dir.join("caps")] {
        let mode = std::fs::metadata(d).unwrap().permissions().mode();
        std::fs::set_permissions(d, std::fs::Permissions::from_mode(mode | 0o755)).unwrap();
    }
    let out = Command::new(root.join("tests/plugin/run.sh"))
        .arg("build")
        .arg(&dir)
        .output()
        .expect("run tests/plugin/run.sh");
    let err = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        if out.status.code() == Some(3) && std::env::var("RIKE_SKIP_PLUGIN").as_deref() == Ok("1") {
            eprintln!("plugin tests skipped (RIKE_SKIP_PLUGIN=1): {err}");
            return None;
        }
        panic!("building the plugin failed (set RIKE_SKIP_PLUGIN=1 to skip when tools are missing):\n{err}");
    }
    eprintln!(
        "{}",
        err.lines()
            .filter(|l| l.contains("exported"))
            .collect::<String>()
    );
    let caps = captures()
        .into_iter()
        .enumerate()
        .map(|(i, p)| {
            let name = rel(&p);
            let copy = dir.join("caps").join(format!(
                "{i:03}-{}",
                p.file_name().unwrap().to_string_lossy()
            ));
            std::fs::copy(&p, &copy).unwrap();
            std::fs::set_permissions(&copy, std::fs::Permissions::from_mode(0o644)).unwrap();
            (name, copy)
        })
        .collect::<Vec<_>>();
    assert!(caps.len() > 50, "too few captures in tests/data");
    let (keys, home_keys) = key_tables(&root, &dir);
    Some(Env {
        dir,
        caps,
        report,
        root,
        keys,
        home_keys,
    })
}

/// The key tables of tests/data joined into one IKEv1 and one IKEv2 table
/// (Wireshark UAT format, which both dissectors read).
fn key_tables(root: &Path, dir: &Path) -> (PathBuf, PathBuf) {
    let data = root.join("tests/data");
    let mut v1 = vec![data.join("keys/wireshark_ikev1_decryption_table.csv")];
    let mut v2 = vec![
        data.join("crafted/ikev2_decryption_table"),
        data.join("keys/verified_wireshark_ikev2_decryption_table.csv"),
    ];
    let mut sw: Vec<PathBuf> = std::fs::read_dir(data.join("strongswan"))
        .map(|rd| {
            rd.flatten()
                .map(|e| e.path())
                .filter(|p| p.is_dir())
                .collect()
        })
        .unwrap_or_default();
    sw.sort();
    for d in sw {
        v1.push(d.join("ikev1_decryption_table"));
        v2.push(d.join("ikev2_decryption_table"));
    }
    let keys = dir.join("keys");
    let home = dir.join("home-keys");
    let conf = home.join(".config/wireshark");
    std::fs::create_dir_all(&keys).unwrap();
    std::fs::create_dir_all(&conf).unwrap();
    for (name, files) in [
        ("ikev1_decryption_table", v1),
        ("ikev2_decryption_table", v2),
    ] {
        let mut text = String::new();
        for f in files.iter().filter(|f| f.is_file()) {
            text.push_str(&std::fs::read_to_string(f).unwrap());
            text.push('\n');
        }
        for d in [&keys, &conf] {
            std::fs::write(d.join(name), &text).unwrap();
            std::fs::set_permissions(d.join(name), std::fs::Permissions::from_mode(0o644)).unwrap();
        }
    }
    for d in [&keys, &home, &home.join(".config"), &conf] {
        std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    (keys, home)
}

/// One tshark run.
struct Out {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Out {
    fn all(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }
}

/// Runs tshark (under `timeout`) with the plugin or without any plugin, as
/// uid 65534 when we are root, with an empty HOME.
fn tshark(e: &Env, plugin: bool, args: &[&str]) -> Out {
    tshark_in(e, plugin, &e.dir.join("home"), args)
}

/// As [`tshark`], with `home` as HOME (its .config/wireshark is the
/// personal configuration).
fn tshark_in(e: &Env, plugin: bool, home: &Path, args: &[&str]) -> Out {
    let mut c = Command::new("timeout");
    c.args(["-k", "5", TIMEOUT_S]);
    if is_root() {
        c.args([
            "setpriv",
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
        ]);
    }
    let plugins = e.dir.join(if plugin { "plugins" } else { "no-plugins" });
    c.arg("env")
        .arg(format!("HOME={}", home.display()))
        .arg(format!(
            "XDG_CONFIG_HOME={}",
            home.join(".config").display()
        ))
        .arg(format!("WIRESHARK_PLUGIN_DIR={}", plugins.display()))
        .arg("tshark")
        .args(args);
    let o = c.output().expect("run timeout/tshark");
    Out {
        code: o.status.code(),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

/// `f` over `items` on a few threads (tshark runs are mostly start-up).
fn par_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .clamp(2, 8)
        * 2;
    let next = AtomicUsize::new(0);
    let slots: Vec<Mutex<Option<R>>> = items.iter().map(|_| Mutex::new(None)).collect();
    std::thread::scope(|s| {
        for _ in 0..threads.min(items.len().max(1)) {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= items.len() {
                    break;
                }
                let r = f(&items[i]);
                *slots[i].lock().unwrap() = Some(r);
            });
        }
    });
    slots
        .into_iter()
        .map(|m| m.into_inner().unwrap().expect("worker finished"))
        .collect()
}

fn path_str(p: &Path) -> &str {
    p.to_str().expect("UTF-8 path")
}

/// Fields of `tshark -G fields` starting with `prefix`: name → type.
fn field_types(e: &Env, plugin: bool, prefix: &str) -> BTreeMap<String, String> {
    let o = tshark(e, plugin, &["-G", "fields"]);
    assert_eq!(o.code, Some(0), "tshark -G fields: {}", o.stderr);
    o.stdout
        .lines()
        .filter_map(|l| {
            let c: Vec<&str> = l.split('\t').collect();
            (c.len() > 3 && c[2].starts_with(prefix)).then(|| (c[2].to_owned(), c[3].to_owned()))
        })
        .collect()
}

/// The fields both dissectors have, by suffix.
struct Shared {
    suffixes: Vec<String>,
    /// Suffixes the built-in registers as FT_NONE (a label without a value)
    /// and the plugin with a value: only their presence can be compared.
    presence_only: BTreeSet<String>,
}

fn shared(e: &Env) -> &'static Shared {
    static SHARED: OnceLock<Shared> = OnceLock::new();
    SHARED.get_or_init(|| {
        let ours: BTreeMap<String, String> = field_types(e, true, "rike.")
            .into_iter()
            .map(|(f, t)| (f["rike.".len()..].to_owned(), t))
            .collect();
        let mut sh = Shared {
            suffixes: Vec::new(),
            presence_only: BTreeSet::new(),
        };
        for (f, t) in field_types(e, false, "isakmp.") {
            let s = &f["isakmp.".len()..];
            let Some(ot) = ours.get(s) else { continue };
            if NOT_COMPARED.contains(&s) {
                continue;
            }
            if t == "FT_NONE" && ot != "FT_NONE" {
                sh.presence_only.insert(s.to_owned());
            }
            sh.suffixes.push(s.to_owned());
        }
        sh
    })
}

/// Values per frame from a `-T fields` run: frame → field → values.
type Fields = BTreeMap<u32, BTreeMap<String, Vec<String>>>;

fn fields_args<'a>(cap: &'a Path, fields: &'a [String]) -> Vec<&'a str> {
    let mut a = vec![
        "-r",
        path_str(cap),
        "-n",
        "-T",
        "fields",
        "-E",
        "occurrence=a",
        "-E",
        "aggregator=\u{1f}",
        "-E",
        "separator=\u{1e}",
        "-e",
        "frame.number",
    ];
    for f in fields {
        a.extend(["-e", f.as_str()]);
    }
    a
}

/// Parses `-T fields` output; values keyed by suffix.
fn parse_fields(stdout: &str, suffixes: &[String]) -> Fields {
    let mut out = Fields::new();
    for line in stdout.lines() {
        let mut cols = line.split('\u{1e}');
        let Some(frame) = cols.next().and_then(|f| f.trim().parse::<u32>().ok()) else {
            continue;
        };
        let mut m = BTreeMap::new();
        for (s, c) in suffixes.iter().zip(cols) {
            if !c.is_empty() {
                m.insert(s.clone(), c.split('\u{1f}').map(normalise).collect());
            }
        }
        if !m.is_empty() {
            out.insert(frame, m);
        }
    }
    out
}

/// One `-T fields` pass over one capture.
struct Pass {
    code: Option<i32>,
    fields: Fields,
    stderr: String,
}

/// The built-in dissector's pass (no plugin) over `caps`, HOME `home`.
fn builtin_pass(e: &Env, caps: &[(String, PathBuf)], home: &Path) -> Vec<Pass> {
    let suffixes = &shared(e).suffixes;
    let names: Vec<String> = suffixes.iter().map(|s| format!("isakmp.{s}")).collect();
    par_map(caps, |(_, cap)| {
        let mut args = fields_args(cap, &names);
        args.extend([
            "-d",
            "udp.port==500,isakmp",
            "-d",
            "udp.port==4500,udpencap",
        ]);
        let o = tshark_in(e, false, home, &args);
        Pass {
            code: o.code,
            fields: parse_fields(&o.stdout, suffixes),
            stderr: o.stderr,
        }
    })
}

/// The plugin's pass over `caps` (built-in dissectors disabled).
fn plugin_pass(e: &Env, caps: &[(String, PathBuf)], extra: &[&str]) -> Vec<Pass> {
    let suffixes = &shared(e).suffixes;
    let names: Vec<String> = suffixes.iter().map(|s| format!("rike.{s}")).collect();
    par_map(caps, |(_, cap)| {
        let mut args = fields_args(cap, &names);
        args.extend(PLUGIN_ONLY);
        args.extend(extra);
        let o = tshark(e, true, &args);
        Pass {
            code: o.code,
            fields: parse_fields(&o.stdout, suffixes),
            stderr: o.stderr,
        }
    })
}

/// The built-in pass over every capture, without keys (shared by the
/// tests: (a) takes its exit statuses).
fn baselines(e: &Env) -> &'static [Pass] {
    static B: OnceLock<Vec<Pass>> = OnceLock::new();
    B.get_or_init(|| builtin_pass(e, &e.caps, &e.dir.join("home")))
}

fn forbidden_in(text: &str) -> Vec<&'static str> {
    FORBIDDEN
        .iter()
        .copied()
        .filter(|f| text.contains(f))
        .collect()
}

#[test]
fn plugin_loads_and_exports_only_abi_symbols() {
    let Some(e) = env() else { return };
    let so = e.dir.join("plugins");
    let so = std::fs::read_dir(&so)
        .unwrap()
        .flatten()
        .next()
        .expect("plugins/<maj.min>")
        .path()
        .join("epan/rike.so");
    let nm = Command::new("nm")
        .args(["-D", "--defined-only"])
        .arg(&so)
        .output()
        .expect("nm");
    let syms: BTreeSet<String> = String::from_utf8_lossy(&nm.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().nth(2).map(str::to_owned))
        .filter(|s| s != "plugin_describe") // Wireshark ≥ 4.2
        .collect();
    let want: BTreeSet<String> = [
        "plugin_register",
        "plugin_version",
        "plugin_want_major",
        "plugin_want_minor",
    ]
    .map(str::to_owned)
    .into();
    assert_eq!(syms, want, "exported symbols of {}", so.display());

    let plugins = tshark(e, true, &["-G", "plugins"]);
    assert!(
        plugins.stdout.lines().any(|l| l.starts_with("rike.so")),
        "tshark -G plugins does not list rike.so:\n{}{}",
        plugins.stdout,
        plugins.stderr
    );
    let protos = tshark(e, true, &["-G", "protocols"]);
    assert!(
        protos
            .stdout
            .lines()
            .any(|l| l == "ISAKMP/IKE (rike)\tRIKE\trike"),
        "tshark -G protocols does not list rike"
    );
    let ours = field_types(e, true, "rike.");
    assert!(ours.len() > 150, "only {} rike.* fields", ours.len());
    for f in [
        "rike.ispi",
        "rike.exchangetype",
        "rike.tcp.length",
        "rike.response_in",
    ] {
        assert!(ours.contains_key(f), "{f} not registered");
    }
    let heur = tshark(e, true, &["-G", "heuristic-decodes"]);
    assert!(
        heur.stdout.lines().any(|l| l.starts_with("tcp\trike\t")),
        "no rike_tcp heuristic on tcp:\n{}",
        heur.stdout
    );
}

/// (a) No crash, hang, assertion or dissector bug; the exit status is the
/// one tshark has without the plugin (2 for captures cut short).
#[test]
fn a_no_crash_or_hang_on_any_capture() {
    let Some(e) = env() else { return };
    let base = baselines(e);
    type Job<'a> = (usize, &'static str, Vec<&'a str>);
    let mut jobs: Vec<Job<'_>> = Vec::new();
    for (i, (_, cap)) in e.caps.iter().enumerate() {
        let c = path_str(cap);
        jobs.push((i, "-V", vec!["-r", c, "-n", "-V"]));
        let mut two = vec!["-r", c, "-n", "-2", "-V"];
        two.extend(PLUGIN_ONLY);
        jobs.push((i, "-2 -V (plugin only)", two));
        jobs.push((i, "-T json", vec!["-r", c, "-n", "-T", "json"]));
    }
    let results = par_map(&jobs, |(i, what, args)| {
        let o = tshark(e, true, args);
        let mut bad = Vec::new();
        match o.code {
            Some(124) | Some(137) => bad.push(format!("hung (killed after {TIMEOUT_S} s)")),
            None => bad.push("killed by a signal".to_owned()),
            c if c != base[*i].code => bad.push(format!(
                "exit status {c:?}, {:?} without the plugin: {}",
                base[*i].code,
                o.stderr.trim()
            )),
            _ => {}
        }
        for f in forbidden_in(&o.all()) {
            bad.push(format!("output contains {f:?}"));
        }
        if *what == "-T json" && !o.stdout.trim_end().ends_with(']') {
            bad.push("JSON output not closed".to_owned());
        }
        (
            bad,
            o.stdout.matches("RIKE").count() + o.stdout.matches("\"rike\"").count(),
        )
    });
    let mut failures = Vec::new();
    let mut with_rike = BTreeSet::new();
    for ((i, what, _), (bad, n)) in jobs.iter().zip(&results) {
        if *n > 0 {
            with_rike.insert(*i);
        }
        for b in bad {
            failures.push(format!("{} [{what}]: {b}", e.caps[*i].0));
        }
    }
    eprintln!(
        "(a) {} tshark runs over {} captures ({} dissected by rike): {} problems",
        jobs.len(),
        e.caps.len(),
        with_rike.len(),
        failures.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(
        with_rike.len() * 10 >= e.caps.len() * 8,
        "the plugin dissected only {} of {} captures",
        with_rike.len(),
        e.caps.len()
    );
}

fn load_differences(path: &Path) -> BTreeMap<(String, String, String), String> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut m = BTreeMap::new();
    for line in text.lines() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let cols: Vec<&str> = line.split('\t').collect();
        assert!(cols.len() >= 4, "bad line in {}: {line}", path.display());
        m.insert(
            (cols[0].to_owned(), cols[1].to_owned(), cols[2].to_owned()),
            cols[3].to_owned(),
        );
    }
    m
}

/// How many of the `n` occurrences of a field in one frame agree: all
/// when the lists are equal, else those equal position by position.
fn agreeing(b: Option<&Vec<String>>, p: Option<&Vec<String>>) -> (usize, usize) {
    let n = b.map_or(0, Vec::len).max(p.map_or(0, Vec::len));
    let same = match (b, p) {
        (Some(x), Some(y)) if x == y => n,
        (Some(x), Some(y)) => x.iter().zip(y).filter(|(a, b)| a == b).count(),
        _ => 0,
    };
    (same, n)
}

/// The exception keys that may explain a difference, most specific first.
fn keys(name: &str, frame: u32, field: &str) -> [(String, String, String); 5] {
    let (n, f, star) = (name.to_owned(), frame.to_string(), "*".to_owned());
    [
        (n.clone(), f.clone(), field.to_owned()),
        (n.clone(), f, star.clone()),
        (n.clone(), star.clone(), field.to_owned()),
        (n, star.clone(), star.clone()),
        (star.clone(), star, field.to_owned()),
    ]
}

/// Field-by-field comparison of the plugin's and the built-in's passes over
/// `caps`. Every difference must be explained in `differences` (and every
/// explanation used); writes `<label>-agreement.txt`, `<label>-differences.tsv`
/// and `<label>-plugin-only.tsv`; returns (agreeing, compared).
fn compare(
    e: &Env,
    label: &str,
    skip: &[&str],
    caps: &[(String, PathBuf)],
    base: &[Pass],
    plugin: &[Pass],
    differences: &Path,
) -> (usize, usize) {
    let sh = shared(e);
    let explained = load_differences(differences);
    let mut used = BTreeSet::new();
    let mut explain = |name: &str, frame: u32, field: &str| -> Option<String> {
        let k = keys(name, frame, field)
            .into_iter()
            .find(|k| explained.contains_key(k))?;
        let r = explained[&k].clone();
        used.insert(k);
        Some(r)
    };
    let (mut agree, mut compared, mut strict_agree) = (0usize, 0usize, 0usize);
    let mut per_field: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    let mut report = String::from("capture\tframe\tfield\tbuiltin\tplugin\treason\n");
    let mut only = String::from("capture\tframe\tplugin fields\treason\n");
    let mut unexplained = Vec::new();
    let presence = |s: &str, v: Option<&Vec<String>>| -> Option<Vec<String>> {
        let v = v?;
        Some(if sh.presence_only.contains(s) {
            vec!["1".to_owned(); v.len()]
        } else {
            v.clone()
        })
    };
    let show = |v: Option<&Vec<String>>| {
        v.map_or_else(String::new, |v| {
            let s: Vec<String> = v.iter().map(|x| x.chars().take(40).collect()).collect();
            s.join("|")
        })
    };
    for (((name, _), b), p) in caps.iter().zip(base).zip(plugin) {
        assert_eq!(
            p.code, b.code,
            "{name}: exit status with the plugin / without ({} / {})",
            p.stderr, b.stderr
        );
        let frames: BTreeSet<u32> = b.fields.keys().chain(p.fields.keys()).copied().collect();
        let empty = BTreeMap::new();
        for frame in frames {
            let bf = b.fields.get(&frame).unwrap_or(&empty);
            let pf = p.fields.get(&frame).unwrap_or(&empty);
            if bf.is_empty() {
                // The built-in shows none of the shared fields in this frame
                // (RFC 8229 TCP …): nothing to compare, but it must be known.
                let reason = explain(name, frame, "plugin-only").unwrap_or_else(|| {
                    unexplained.push(format!("{name}\t{frame}\tplugin-only"));
                    "UNEXPLAINED".to_owned()
                });
                let fields: Vec<&str> = pf.keys().map(String::as_str).collect();
                let _ = writeln!(only, "{name}\t{frame}\t{}\t{reason}", fields.join(","));
                continue;
            }
            for s in sh.suffixes.iter().filter(|s| !skip.contains(&s.as_str())) {
                let (bv, pv) = (bf.get(s), pf.get(s));
                if bv.is_none() && pv.is_none() {
                    continue;
                }
                strict_agree += agreeing(bv, pv).0;
                let (bn, pn) = (presence(s, bv), presence(s, pv));
                let (same, n) = agreeing(bn.as_ref(), pn.as_ref());
                compared += n;
                agree += same;
                let pfe = per_field.entry(s.as_str()).or_default();
                pfe.0 += same;
                pfe.1 += n;
                if same == n {
                    continue;
                }
                let field = format!("isakmp.{s}");
                let reason = explain(name, frame, &field).unwrap_or_else(|| {
                    unexplained.push(format!(
                        "{name}\t{frame}\t{field}\tbuiltin={}\tplugin={}",
                        show(bv),
                        show(pv)
                    ));
                    "UNEXPLAINED".to_owned()
                });
                let _ = writeln!(
                    report,
                    "{name}\t{frame}\t{field}\t{}\t{}\t{reason}",
                    show(bv),
                    show(pv)
                );
            }
        }
    }
    let pct = 100.0 * agree as f64 / compared.max(1) as f64;
    let strict = 100.0 * strict_agree as f64 / compared.max(1) as f64;
    let mut summary = format!(
        "Agreement of the rike plugin with tshark's built-in isakmp dissector ({label})\n\
         over {} captures and {} shared fields (prefix swap rike. <-> isakmp.; not compared: {}):\n\
         {agree}/{compared} field occurrences = {pct:.2}%\n\
         (fields the built-in registers as FT_NONE, compared by presence: {});\n\
         comparing their values too: {strict_agree}/{compared} = {strict:.2}%\n\n\
         field\tagree\tcompared\n",
        caps.len(),
        sh.suffixes.len() - skip.len(),
        NOT_COMPARED
            .iter()
            .chain(skip)
            .copied()
            .collect::<Vec<_>>()
            .join(", "),
        sh.presence_only
            .iter()
            .cloned()
            .collect::<Vec<_>>()
            .join(", ")
    );
    for (f, (a, c)) in &per_field {
        let _ = writeln!(summary, "{f}\t{a}\t{c}");
    }
    let out = |what: &str| e.report.join(format!("{label}-{what}"));
    std::fs::write(out("agreement.txt"), &summary).unwrap();
    std::fs::write(out("differences.tsv"), &report).unwrap();
    std::fs::write(out("plugin-only.tsv"), &only).unwrap();
    eprintln!(
        "({label}) agreement with the built-in dissector: {agree}/{compared} = {pct:.2}% \
         ({strict:.2}% comparing FT_NONE labels by value; reports in {})",
        e.report.display()
    );
    let stale: Vec<_> = explained.keys().filter(|k| !used.contains(*k)).collect();
    assert!(
        unexplained.is_empty(),
        "{label}: {} unexplained differences (explain them in {}):\n{}",
        unexplained.len(),
        differences.display(),
        unexplained.join("\n")
    );
    assert!(
        stale.is_empty(),
        "{label}: listed differences that no longer occur: {stale:?}"
    );
    (agree, compared)
}

/// (b) Field-by-field agreement with the built-in dissector over every
/// capture, without keys.
#[test]
fn b_agrees_with_builtin_dissector() {
    let Some(e) = env() else { return };
    let n = shared(e).suffixes.len();
    assert!(n > 60, "too few shared fields: {n}");
    let plugin = plugin_pass(e, &e.caps, &[]);
    let diff = e.root.join("tests/plugin/differences.tsv");
    let (agree, compared) = compare(
        e,
        "nokeys",
        ONLY_WITH_KEYS,
        &e.caps,
        baselines(e),
        &plugin,
        &diff,
    );
    let pct = 100.0 * agree as f64 / compared.max(1) as f64;
    assert!(
        compared > 10_000,
        "only {compared} field occurrences compared"
    );
    assert!(
        pct >= MIN_AGREEMENT,
        "agreement {pct:.2}% below {MIN_AGREEMENT}%"
    );
}

/// Captures that the key tables of tests/data decrypt.
fn keyed(e: &Env) -> Vec<(String, PathBuf)> {
    const FILES: &[&str] = &[
        "tcpdump/ikev2pI2.pcap",
        "openswan-libpluto/libpluto__lp06-msg1nopropchosen__parentI2.pcap",
        "scapy/ikev2-decrypt-aes128ccm12-subset-from-scapy-uts.pcap",
    ];
    e.caps
        .iter()
        .filter(|(n, _)| {
            n.starts_with("crafted/") || n.starts_with("strongswan/") || FILES.contains(&n.as_str())
        })
        .cloned()
        .collect()
}

/// (b, with keys) The same comparison over the captures the key tables
/// decrypt: the built-in reads them as its UAT files, the plugin through
/// its `rike.keys_file` preference; the decrypted payloads are compared
/// too, and must show up in a data source of their own.
#[test]
fn b_with_keys_agrees_with_builtin_dissector() {
    let Some(e) = env() else { return };
    let caps = keyed(e);
    assert!(
        caps.len() >= 8,
        "too few captures with keys: {}",
        caps.len()
    );
    let pref = format!("rike.keys_file:{}", path_str(&e.keys));
    let plugin = plugin_pass(e, &caps, &["-o", &pref]);
    let base = builtin_pass(e, &caps, &e.home_keys);
    let diff = e.root.join("tests/plugin/differences-keys.tsv");
    let (agree, compared) = compare(e, "keys", &[], &caps, &base, &plugin, &diff);
    let pct = 100.0 * agree as f64 / compared.max(1) as f64;
    assert!(
        pct >= MIN_AGREEMENT,
        "agreement {pct:.2}% below {MIN_AGREEMENT}%"
    );

    // Decrypted payloads: sw-v2-cbc's IKE_AUTH (frames 3, 4) carries IDs
    // and traffic selectors, in a "Decrypted IKE" data source.
    let cap = &caps
        .iter()
        .find(|(n, _)| n == "strongswan/sw-v2-cbc.pcapng")
        .unwrap()
        .1;
    let o = tshark(
        e,
        true,
        &[
            "-r",
            path_str(cap),
            "-n",
            "-o",
            &pref,
            "-x",
            "-Y",
            "rike.id.type",
        ],
    );
    assert_eq!(o.code, Some(0), "{}", o.stderr);
    assert!(
        o.stdout.contains("Decrypted IKE ("),
        "no decrypted data source:\n{}",
        o.stdout
    );
    let f = tshark(
        e,
        true,
        &[
            "-r",
            path_str(cap),
            "-n",
            "-o",
            &pref,
            "-T",
            "fields",
            "-e",
            "frame.number",
            "-e",
            "rike.enc.icd",
            "-e",
            "rike.ts.start_ipv4",
            "-Y",
            "rike.id.type",
        ],
    );
    let r = rows(&f);
    assert_eq!(
        r.keys().copied().collect::<Vec<_>>(),
        [3, 4],
        "{}",
        f.stdout
    );
    assert!(r[&3][1].contains("10.1.0.1"), "{}", f.stdout);
}

/// ChaCha20-Poly1305 (RFC 7634), which the built-in cannot decrypt and its
/// key tables cannot name: the plugin decrypts strongSwan's IKE_AUTH and
/// INFORMATIONAL with the rike key log written from charon's own keys, and
/// checks every tag.
#[test]
fn plugin_decrypts_chacha20_poly1305_with_a_rike_key_log() {
    let Some(e) = env() else { return };
    let cap = &e
        .caps
        .iter()
        .find(|(n, _)| n == "strongswan/sw-v2-chapoly.pcapng")
        .expect("sw-v2-chapoly.pcapng in tests/data")
        .1;
    let log = e.dir.join("sw-v2-chapoly.rike.keylog");
    std::fs::copy(
        e.root
            .join("tests/data/strongswan/sw-v2-chapoly.keys/rike.keylog"),
        &log,
    )
    .unwrap();
    std::fs::set_permissions(&log, std::fs::Permissions::from_mode(0o644)).unwrap();
    let pref = format!("rike.keys_file:{}", path_str(&log));
    let f = tshark(
        e,
        true,
        &[
            "-r",
            path_str(cap),
            "-n",
            "-o",
            &pref,
            "-T",
            "fields",
            "-e",
            "frame.number",
            "-e",
            "rike.enc.decrypted",
            "-e",
            "rike.enc.iv",
            "-e",
            "rike.id.type",
            "-e",
            "rike.ts.start_ipv4",
            "-Y",
            "rike.enc.icd",
        ],
    );
    assert_eq!(f.code, Some(0), "{}", f.stderr);
    let r = rows(&f);
    assert_eq!(
        r.keys().copied().collect::<Vec<_>>(),
        [3, 4, 9, 10],
        "{}",
        f.stdout
    );
    for (frame, v) in &r {
        assert!(
            !v[0].is_empty(),
            "frame {frame} not decrypted: {}",
            f.stdout
        );
        // RFC 7634 §2: an 8-octet IV.
        assert_eq!(v[1].len(), 16, "frame {frame} IV: {}", f.stdout);
    }
    assert!(!r[&3][2].is_empty() && !r[&4][2].is_empty(), "{}", f.stdout);
    assert!(r[&3][3].contains("10.1.0.1"), "{}", f.stdout);
    let all = tshark(e, true, &["-r", path_str(cap), "-n", "-o", &pref, "-V"]);
    assert!(
        !all.all().contains("ncorrect"),
        "a tag failed:\n{}",
        all.stdout
    );
    // And without the key log: the payloads stay encrypted.
    let none = tshark(
        e,
        true,
        &["-r", path_str(cap), "-n", "-Y", "rike.enc.decrypted"],
    );
    assert_eq!(none.stdout.trim(), "", "decrypted without keys");
}

/// Rows of a `-T fields` run: frame → values of `fields` (raw, '|' joined).
fn rows(o: &Out) -> BTreeMap<u32, Vec<String>> {
    o.stdout
        .lines()
        .filter_map(|l| {
            let mut c = l.split('\t');
            let f = c.next()?.parse().ok()?;
            Some((f, c.map(str::to_owned).collect()))
        })
        .collect()
}

fn crafted(e: &Env, name: &str) -> PathBuf {
    e.caps
        .iter()
        .find(|(n, _)| n == &format!("crafted/{name}"))
        .map(|(_, p)| p.clone())
        .unwrap_or_else(|| panic!("crafted/{name} missing"))
}

/// (c) RFC 8229: IKE_SA_INIT request and response and an IKE_AUTH
/// reassembled from two TCP segments, with the built-in still enabled
/// (it shows nothing there).
#[test]
fn c_rfc8229_tcp_dissects_as_ike() {
    let Some(e) = env() else { return };
    let cap = crafted(e, "ikev2-tcp-rfc8229.pcap");
    let f = [
        "-r",
        path_str(&cap),
        "-n",
        "-Y",
        "rike",
        "-T",
        "fields",
        "-E",
        "occurrence=a",
        "-E",
        "aggregator=|",
        "-e",
        "frame.number",
        "-e",
        "rike.exchangetype",
        "-e",
        "rike.tcp.prefix",
        "-e",
        "rike.tcp.length",
        "-e",
        "_ws.col.Protocol",
        "-e",
        "tcp.reassembled.length",
    ];
    let o = tshark(e, true, &f);
    assert_eq!(o.code, Some(0), "{}", o.stderr);
    let r = rows(&o);
    eprintln!("(c) RFC 8229 with the plugin:\n{}", o.stdout);
    let frames: Vec<u32> = r.keys().copied().collect();
    assert_eq!(frames, [4, 5, 7], "frames shown as rike");
    assert_eq!(r[&4][0], "34", "frame 4: IKE_SA_INIT request");
    assert_eq!(r[&4][1], "IKETCP", "frame 4: stream prefix");
    assert_eq!(r[&5][0], "34", "frame 5: IKE_SA_INIT response");
    assert_eq!(r[&7][0], "35", "frame 7: IKE_AUTH");
    assert_eq!(r[&7][4], "226", "frame 7: reassembled from two segments");
    assert!(r.values().all(|v| v[3] == "RIKE"), "protocol column");
    let all: Vec<&str> = r.values().flat_map(|v| v[0].split('|')).collect();
    assert_eq!(all, ["34", "34", "35"], "exchange types");

    // The built-in dissector alone shows no IKE in this capture.
    let b = tshark(e, false, &["-r", path_str(&cap), "-n", "-Y", "isakmp"]);
    assert_eq!(b.code, Some(0), "{}", b.stderr);
    assert!(b.stdout.trim().is_empty(), "built-in: {}", b.stdout);

    // The heuristic can be switched off.
    let off = tshark(
        e,
        true,
        &[
            "-r",
            path_str(&cap),
            "-n",
            "-Y",
            "rike",
            "--disable-heuristic",
            "rike_tcp",
        ],
    );
    assert!(
        off.stdout.trim().is_empty(),
        "with rike_tcp off: {}",
        off.stdout
    );
    // … and then Decode As brings it back on the port.
    let da = tshark(
        e,
        true,
        &[
            "-r",
            path_str(&cap),
            "-n",
            "-Y",
            "rike.exchangetype",
            "--disable-heuristic",
            "rike_tcp",
            "-d",
            "tcp.port==4500,rike_tcp",
            "-T",
            "fields",
            "-e",
            "frame.number",
        ],
    );
    assert_eq!(
        da.stdout.split_whitespace().collect::<Vec<_>>(),
        ["4", "5", "7"]
    );
}

/// (c) NAT-T on UDP 4500: marker + IKE, keepalive, ESP to `esp`.
#[test]
fn c_natt_marker_keepalive_and_esp() {
    let Some(e) = env() else { return };
    let cap = crafted(e, "ikev2-natt-4500.pcap");
    let o = tshark(
        e,
        true,
        &[
            "-r",
            path_str(&cap),
            "-n",
            "-T",
            "fields",
            "-e",
            "frame.number",
            "-e",
            "rike.non_esp_marker",
            "-e",
            "rike.exchangetype",
            "-e",
            "rike.nat_keepalive",
            "-e",
            "esp.spi",
            "-e",
            "_ws.col.Protocol",
        ],
    );
    assert_eq!(o.code, Some(0), "{}", o.stderr);
    eprintln!("(c) NAT-T with the plugin:\n{}", o.stdout);
    let r = rows(&o);
    assert_eq!(r[&1][..2], ["00000000", "35"], "frame 1: marker + IKE_AUTH");
    assert_eq!(r[&2][2], "0xff", "frame 2: keepalive");
    assert_eq!(r[&3][3], "0xc0ffee01", "frame 3: ESP via the esp dissector");
    assert_eq!(r[&3][4], "ESP");
    assert!(
        r[&3][..3].iter().all(String::is_empty),
        "no rike items on ESP"
    );
}

/// The switches that pick one dissector: with the plugin disabled and
/// Decode As back to the built-in, the output is the built-in's; with the
/// built-in disabled everything is the plugin's; by default the plugin owns
/// UDP 500/4500 (its handoff runs last).
#[test]
fn switches_pick_either_dissector() {
    let Some(e) = env() else { return };
    let cap = crafted(e, "crafted-all.pcap");
    let c = path_str(&cap);
    let builtin = tshark(e, false, &["-r", c, "-n", "-V"]);
    let disabled = tshark(
        e,
        true,
        &[
            "-r",
            c,
            "-n",
            "-V",
            "--disable-protocol",
            "rike",
            "-d",
            "udp.port==500,isakmp",
            "-d",
            "udp.port==4500,udpencap",
        ],
    );
    assert_eq!(disabled.code, Some(0), "{}", disabled.stderr);
    assert!(
        builtin.stdout == disabled.stdout,
        "--disable-protocol rike + Decode As does not give the built-in's output"
    );
    let proto = |extra: &[&str]| {
        let mut a = vec!["-r", c, "-n", "-T", "fields", "-e", "_ws.col.Protocol"];
        a.extend(extra);
        tshark(e, true, &a).stdout
    };
    let default = proto(&[]);
    assert_eq!(
        default.lines().filter(|l| *l == "RIKE").count(),
        19,
        "{default}"
    );
    let only = proto(PLUGIN_ONLY);
    assert_eq!(default, only);
    let isakmp = proto(&[
        "-d",
        "udp.port==500,isakmp",
        "-d",
        "udp.port==4500,udpencap",
        "--disable-heuristic",
        "rike_tcp",
    ]);
    assert!(!isakmp.contains("RIKE"), "{isakmp}");
    assert_eq!(
        isakmp.lines().filter(|l| *l == "ISAKMP").count(),
        15,
        "{isakmp}"
    );
}

/// Decode As puts the plugin on any UDP port.
#[test]
fn decode_as_other_port() {
    let Some(e) = env() else { return };
    let cap = e.root.join("tests/plugin/ikev2-sa-init-udp5500.pcap");
    let copy = e.dir.join("caps/decode-as.pcap");
    std::fs::copy(&cap, &copy).expect("tests/plugin/ikev2-sa-init-udp5500.pcap");
    std::fs::set_permissions(&copy, std::fs::Permissions::from_mode(0o644)).unwrap();
    let run = |extra: &[&str]| {
        let mut a = vec![
            "-r",
            path_str(&copy),
            "-n",
            "-T",
            "fields",
            "-e",
            "rike.exchangetype",
        ];
        a.extend(extra);
        tshark(e, true, &a).stdout
    };
    assert!(run(&[]).trim().is_empty());
    assert_eq!(
        run(&["-d", "udp.port==5500,rike"])
            .split_whitespace()
            .collect::<Vec<_>>(),
        ["34", "34"]
    );
}
