//! The Wireshark plugin (`plugin/`) inside the real tshark.
//!
//! `tests/plugin/run.sh build` builds librike.a and rike.so, checks that
//! only the plugin ABI symbols are exported and lays out a plugin
//! directory. tshark then runs with `WIRESHARK_PLUGIN_DIR` set — as uid
//! 65534 when we are root, because root's tshark ignores that variable and
//! the personal plugin directory — over every capture in tests/data:
//!
//! - (a) the plugin never crashes, hangs or trips an assertion (`-V` with
//!   the built-in dissectors enabled, two-pass `-2 -V` with them disabled,
//!   `-T json` and `-V` with every key of tests/data), and tshark's exit
//!   status is the one it has without the plugin;
//! - (b) the plugin agrees with the built-in `isakmp` dissector on at least
//!   99 % of the occurrences of the fields both have (prefix swap
//!   `rike.` ↔ `isakmp.`), and every difference is explained in
//!   tests/plugin/differences.tsv (a listed difference that no longer
//!   occurs fails too); the same with keys over the captures that come
//!   with keys (tests/plugin/differences-keys.tsv);
//! - (c) RFC 8229 IKE over TCP dissects as IKE with the plugin (the
//!   built-in shows plain TCP), and NAT-T on UDP 4500 shows the marker,
//!   the keepalive and hands ESP to the `esp` dissector;
//! - (d) decryption through the `rike.keys_file` preference: in every
//!   capture that comes with keys every encrypted payload is decrypted,
//!   its inner payloads shown and its ICV/tag "Good"; with every key
//!   flipped the plugin reports the wrong key (expert of the Decryption
//!   group) and shows no payloads;
//!
//! plus the switches that pick one dissector or the other, Decode As, the
//! exported symbols, value-range names, captures cut short by the snapshot
//! length and a bad RFC 8229 frame length.
//!
//! **Where the time goes.** Every tshark run costs its start-up (loading
//! libwireshark and registering some 3000 dissectors, about half a second
//! of CPU) whatever the capture; the captures themselves are tiny. So the
//! runs whose result does not depend on per-capture state share one
//! capture, all of tests/data concatenated with `mergecap -a`: the
//! crash/hang runs of (a), and the built-in dissector's pass of (b) (its
//! output over the concatenation, split at the capture boundaries, is
//! byte for byte its output per capture — without keys it keeps no state
//! across messages that could link two captures; the split checks the
//! frame counts). The plugin's passes keep one run per capture: its
//! capture state (fragment groups, IKEv1 IV chains, TCP streams) would
//! link captures that reuse SPIs. Without mergecap/capinfos every run is
//! per capture, as before.
//!
//! Values are normalised as `tests/common`'s `normalise` does; fields the
//! built-in registers as FT_NONE (a valueless label) but rike with a value
//! are compared by presence. Reports go to `<target>/plugin-test/`:
//! `{nokeys,keys}-agreement.txt` (overall and per field),
//! `{nokeys,keys}-differences.tsv` (every difference with its reason),
//! `{nokeys,keys}-plugin-only.tsv` (frames only the plugin dissects) and
//! `decryption.tsv` (per capture with keys). Missing tools fail the tests
//! unless `RIKE_SKIP_PLUGIN=1`.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};

use common::{captures, normalise, rel};

/// Seconds before a tshark run counts as hung (the concatenated capture
/// takes a few seconds under `-V`).
const TIMEOUT_S: &str = "120";
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
/// Gives UDP 500/4500 back to the built-in dissectors (the plugin's
/// handoff, run last, owns them otherwise; without the plugin loaded they
/// are the built-in's anyway).
const BUILTIN_PORTS: &[&str] = &[
    "-d",
    "udp.port==500,isakmp",
    "-d",
    "udp.port==4500,udpencap",
];

/// The captures of tests/data that come with keys (the joined key tables
/// of [`key_tables`] hold them): where the keys come from.
const KEYED: &[(&str, &str)] = &[
    ("crafted/crafted-all.pcap", "crafted/ikev2_decryption_table"),
    (
        "crafted/ikev2-fragments.pcap",
        "crafted/ikev2_decryption_table",
    ),
    (
        "crafted/ikev2-natt-4500.pcap",
        "crafted/ikev2_decryption_table",
    ),
    (
        "crafted/ikev2-tcp-rfc8229.pcap",
        "crafted/ikev2_decryption_table",
    ),
    (
        "derived/multi-section.pcapng",
        "crafted/ikev2_decryption_table (its RFC 8229 frames are crafted's)",
    ),
    (
        "openswan-libpluto/libpluto__lp06-msg1nopropchosen__parentI2.pcap",
        "keys/verified_wireshark_ikev2_decryption_table.csv (Openswan lp12-parentR2 lines)",
    ),
    (
        "openswan-libpluto/ikev2crypto__ct12-parentR2__parentI2.pcap",
        OPENSWAN_SA,
    ),
    (
        "openswan-libpluto/ikev2crypto__ct13-parentI3__cryptoR2.pcap",
        OPENSWAN_SA,
    ),
    (
        "openswan-libpluto/libpluto__lp13-parentI3__parentR2.pcap",
        OPENSWAN_SA,
    ),
    (
        "openswan-libpluto/libpluto__lp39-h2hR2__h2hI2.pcap",
        OPENSWAN_SA,
    ),
    (
        "openswan-libpluto/libpluto__lp47-rekeyikev2-R1__rekeyCI1.pcap",
        OPENSWAN_SA,
    ),
    (
        "openswan-libpluto/libpluto__lp48-rekeyikev2-inCR1__rekeyCR1.pcap",
        OPENSWAN_SA,
    ),
    (
        "openswan-libpluto/libpluto__lp57-rekeyv2nopfs-R1__rekeyCI1.pcap",
        OPENSWAN_SA,
    ),
    (
        "openswan-libpluto/libpluto__lp58-rekeyv2nopfs-inCR1__rekeyCR1.pcap",
        OPENSWAN_SA,
    ),
    (
        "openswan-libpluto/libpluto__lp81-h2h-rekeyikev2-I3-msgid0__h2hR2rekey.pcap",
        OPENSWAN_SA,
    ),
    (
        "openswan-libpluto/libpluto__lp83-h2h-deleteSA-I3__h2hR2delete.pcap",
        OPENSWAN_SA,
    ),
    (
        "openswan-libpluto/libpluto__lp84-h2h-deleteSA-R2-R__h2hI3deleteAck.pcap",
        OPENSWAN_SA,
    ),
    (
        "openswan-libpluto/libpluto__lp86-h2h-invalid-deleteSA-R2-R__h2hI3deleteNack.pcap",
        OPENSWAN_SA,
    ),
    (
        "openswan-libpluto/libpluto__lp88-rekeyv2-inval-R1__rekeyCI1.pcap",
        OPENSWAN_SA,
    ),
    (
        "openswan-libpluto/libpluto__lp89-rekeyv2-inval-inCR1__rekeyCR1.pcap",
        OPENSWAN_SA,
    ),
    (
        "openswan-libpluto/libpluto__lp91-h2h-sareplace-R1__h2hR2rekey.pcap",
        OPENSWAN_SA,
    ),
    (
        "scapy/ikev2-decrypt-aes128ccm12-subset-from-scapy-uts.pcap",
        "keys/verified_wireshark_ikev2_decryption_table.csv (Wireshark test table row)",
    ),
    ("strongswan/sw-v1-aggr.pcapng", "strongswan/sw-v1-aggr.keys"),
    ("strongswan/sw-v1-main.pcapng", "strongswan/sw-v1-main.keys"),
    ("strongswan/sw-v2-cbc.pcapng", "strongswan/sw-v2-cbc.keys"),
    (
        "strongswan/sw-v2-chapoly.pcapng",
        "strongswan/sw-v2-chapoly.keys (a rike key log: plugin only)",
    ),
    ("strongswan/sw-v2-gcm.pcapng", "strongswan/sw-v2-gcm.keys"),
    (
        "tcpdump/ikev2pI2.pcap",
        "tcpdump/ikev2pI2-secrets.txt (as keys/verified_wireshark_ikev2_decryption_table.csv)",
    ),
    (
        "zeek-spicy-ipsec/ikev1-certs.pcap",
        "keys/wireshark_ikev1_decryption_table.csv (Wireshark's test table; the same capture)",
    ),
];

/// Frames of keyed captures that the built-in dissector cannot decrypt:
/// left out of the keyed comparison (b) (the decryption checks (d) cover
/// them).
/// (capture, frame or 0 = every frame, why).
const BUILTIN_CANNOT_DECRYPT: &[(&str, u32, &str)] = &[
    (
        "zeek-spicy-ipsec/ikev1-certs.pcap",
        8,
        "built-in bug: frame 8 retransmits the Quick Mode message of frame 7 byte for byte, so it \
         was encrypted with the same IV; the built-in decrypts it with the IV chained on from \
         frame 7 and shows garbage (a HASH payload, then a payload of length 52298); rike \
         decrypts it as the original (HASH, SA, nonce, KE, IDs)",
    ),
    (
        "strongswan/sw-v2-chapoly.pcapng",
        0,
        "built-in gap: Wireshark 4.0 cannot decrypt ChaCha20-Poly1305 (it knows the transform's \
         name only), and its key tables have no column for it; the keys are a rike key log",
    ),
];

/// Openswan's unit tests run with deterministic crypto, so many of their
/// captures share lp06's IKE SA (SPIs 8001020304050607/debc583a8f40d0cf)
/// and its keys.
const OPENSWAN_SA: &str = "keys/verified_wireshark_ikev2_decryption_table.csv (lp06's row: \
     the same IKE SA, Openswan's deterministic test keys)";

/// Encrypted payloads of keyed captures that are not expected to decrypt
/// with a good ICV, and why: (capture, frame or 0 = every frame, reason).
const DECRYPTION_EXCEPTIONS: &[(&str, u32, &str)] = &[
    (
        "tcpdump/ikev2pI2.pcap",
        2,
        "ICV bad: tcpdump's test message carries an ICV that its own published secrets do not \
         verify (Wireshark 4.0 says the same, expecting 579ae74ad294a105b0b6f1c4); AES-CBC still \
         decrypts, so the payloads are shown",
    ),
    (
        "crafted/crafted-all.pcap",
        0,
        "no keys: the IKEv1 bodies of make_crafted.py's Main/Quick Mode messages are random \
         octets (cookies 1111…, 3333…), not encrypted with any key",
    ),
    (
        "derived/multi-section.pcapng",
        5,
        "no keys: an IKE_AUTH of tcpdump's ikev2four.pcap, whose keys were never published",
    ),
];

struct Env {
    /// Layout made by `run.sh build`: plugins/, no-plugins/, home/.
    dir: PathBuf,
    /// (name relative to tests/data, copy readable by uid 65534).
    caps: Vec<(String, PathBuf)>,
    /// Report directory.
    report: PathBuf,
    root: PathBuf,
    /// Key tables: `keys/` for the plugin (`-o rike.keys_file:…`),
    /// `home-keys/.config/wireshark/` for the built-in (its UAT files),
    /// `wrong-keys/` the same keys with every key's first octet flipped.
    keys: PathBuf,
    home_keys: PathBuf,
    wrong_keys: PathBuf,
    /// Every capture that mergecap can concatenate, in one file; None
    /// without mergecap/capinfos.
    merged: Option<Merged>,
}

/// Captures concatenated into one file.
struct Merged {
    path: PathBuf,
    /// (capture index, frames before it, its frames), in file order.
    members: Vec<(usize, u32, u32)>,
    /// Captures not in it (mergecap cannot copy them).
    solo: Vec<usize>,
}

impl Merged {
    /// The member and its local frame number for a frame of the file.
    fn locate(&self, frame: u32) -> Option<(usize, u32)> {
        self.members
            .iter()
            .find(|(_, before, n)| frame > *before && frame <= before + n)
            .map(|&(i, before, _)| (i, frame - before))
    }
}

fn is_root() -> bool {
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

fn env() -> Option<&'static Env> {
    static ENV: OnceLock<Option<Env>> = OnceLock::new();
    ENV.get_or_init(setup).as_ref()
}

fn readable(p: &Path, mode: u32) {
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
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
        readable(d, mode | 0o755);
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
            readable(&copy, 0o644);
            (name, copy)
        })
        .collect::<Vec<_>>();
    assert!(caps.len() > 50, "too few captures in tests/data");
    let (keys, home_keys, wrong_keys) = key_tables(&root, &dir);
    let merged = merge(&dir, &caps);
    match &merged {
        Some(m) => eprintln!(
            "{} captures concatenated into {} ({} frames); {} run alone",
            m.members.len(),
            m.path.display(),
            m.members.iter().map(|m| m.2).sum::<u32>(),
            m.solo.len()
        ),
        None => eprintln!("mergecap/capinfos unavailable: every tshark run is per capture"),
    }
    Some(Env {
        dir,
        caps,
        report,
        root,
        keys,
        home_keys,
        wrong_keys,
        merged,
    })
}

/// Runs a program, Some(stdout) when it succeeds.
fn run_ok(prog: &str, args: &[&std::ffi::OsStr]) -> Option<String> {
    let o = Command::new(prog).args(args).output().ok()?;
    o.status
        .success()
        .then(|| String::from_utf8_lossy(&o.stdout).into_owned())
}

/// Frame counts of capture files (`capinfos -c -M -T`), in order.
fn frame_counts(files: &[&Path]) -> Option<Vec<u32>> {
    let mut args: Vec<&std::ffi::OsStr> = ["-c", "-M", "-T"].map(std::ffi::OsStr::new).to_vec();
    args.extend(files.iter().map(|f| f.as_os_str()));
    let out = run_ok("capinfos", &args)?;
    let counts: Vec<u32> = out
        .lines()
        .skip(1)
        .map(|l| l.rsplit('\t').next().and_then(|n| n.trim().parse().ok()))
        .collect::<Option<_>>()?;
    (counts.len() == files.len()).then_some(counts)
}

/// Concatenates every capture mergecap can copy into `dir/merged.pcapng`.
fn merge(dir: &Path, caps: &[(String, PathBuf)]) -> Option<Merged> {
    let out = dir.join("merged.pcapng");
    let probe = dir.join("probe.pcapng");
    let (mut ok, mut solo) = (Vec::new(), Vec::new());
    for (i, (_, p)) in caps.iter().enumerate() {
        let args = [
            std::ffi::OsStr::new("-a"),
            "-w".as_ref(),
            probe.as_os_str(),
            p.as_os_str(),
        ];
        if run_ok("mergecap", &args).is_some() {
            ok.push(i);
        } else {
            solo.push(i);
        }
    }
    let _ = std::fs::remove_file(&probe);
    let files: Vec<&Path> = ok.iter().map(|&i| caps[i].1.as_path()).collect();
    let mut args: Vec<&std::ffi::OsStr> = vec!["-a".as_ref(), "-w".as_ref(), out.as_os_str()];
    args.extend(files.iter().map(|f| f.as_os_str()));
    run_ok("mergecap", &args)?;
    readable(&out, 0o644);
    let counts = frame_counts(&files)?;
    let total = frame_counts(&[&out])?;
    if total[0] != counts.iter().sum::<u32>() {
        eprintln!(
            "merged capture has {} frames, its parts {}",
            total[0],
            counts.iter().sum::<u32>()
        );
        return None;
    }
    let mut before = 0;
    let members = ok
        .iter()
        .zip(&counts)
        .map(|(&i, &n)| {
            before += n;
            (i, before - n, n)
        })
        .collect();
    Some(Merged {
        path: out,
        members,
        solo,
    })
}

/// Flips the top bit of every hex key in a Wireshark UAT key table
/// (`ikev1_decryption_table`: column 2; `ikev2_decryption_table`: columns
/// 3, 4, 6, 7); comments and other lines stay. The top bit, not the
/// lowest: that one is a parity bit that DES and 3DES ignore.
fn flip_keys(table: &str, v2: bool) -> String {
    let flip = |h: &str| -> String {
        let h = h.trim();
        if h.len() < 2 || !h.bytes().all(|b| b.is_ascii_hexdigit()) {
            return h.to_owned();
        }
        let b = u8::from_str_radix(&h[..2], 16).unwrap() ^ 0x80;
        format!("{b:02x}{}", &h[2..])
    };
    let mut out = String::new();
    for line in table.lines() {
        if line.trim_start().starts_with('#') || !line.contains(',') {
            out.push_str(line);
        } else {
            let mut cols: Vec<String> = line.split(',').map(str::to_owned).collect();
            let keyed: &[usize] = if v2 { &[2, 3, 5, 6] } else { &[1] };
            for &k in keyed {
                if let Some(c) = cols.get_mut(k) {
                    *c = flip(c);
                }
            }
            out.push_str(&cols.join(","));
        }
        out.push('\n');
    }
    out
}

/// A rike key log with the top bit of every IKE SA key (`sk_*=`) flipped.
fn flip_keylog(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        let words: Vec<String> = line
            .split(' ')
            .map(|w| match w.split_once('=') {
                Some((k, v)) if k.starts_with("sk_") && v.len() >= 2 => {
                    let b = u8::from_str_radix(&v[..2], 16).map_or(0, |b| b ^ 0x80);
                    format!("{k}={b:02x}{}", &v[2..])
                }
                _ => w.to_owned(),
            })
            .collect();
        out.push_str(&words.join(" "));
        out.push('\n');
    }
    out
}

/// The key tables of tests/data joined into one IKEv1 and one IKEv2 table
/// (Wireshark UAT format, which both dissectors read), and a wrong copy.
fn key_tables(root: &Path, dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
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
    let wrong = dir.join("wrong-keys");
    let home = dir.join("home-keys");
    let conf = home.join(".config/wireshark");
    for d in [&keys, &wrong, &conf] {
        std::fs::create_dir_all(d).unwrap();
    }
    for (name, files) in [
        ("ikev1_decryption_table", v1),
        ("ikev2_decryption_table", v2),
    ] {
        let mut text = String::new();
        for f in files.iter().filter(|f| f.is_file()) {
            text.push_str(&std::fs::read_to_string(f).unwrap());
            text.push('\n');
        }
        let flipped = flip_keys(&text, name.starts_with("ikev2"));
        for (d, t) in [(&keys, &text), (&conf, &text), (&wrong, &flipped)] {
            std::fs::write(d.join(name), t).unwrap();
            readable(&d.join(name), 0o644);
        }
    }
    // rike key logs (ChaCha20-Poly1305, which Wireshark's tables lack):
    // the plugin reads every file of its key directory.
    for sw in std::fs::read_dir(data.join("strongswan"))
        .into_iter()
        .flatten()
        .flatten()
    {
        let log = sw.path().join("rike.keylog");
        if let Ok(text) = std::fs::read_to_string(&log) {
            let name = format!("{}.keylog", sw.file_name().to_string_lossy());
            for (d, t) in [(&keys, text.clone()), (&wrong, flip_keylog(&text))] {
                std::fs::write(d.join(&name), t).unwrap();
                readable(&d.join(&name), 0o644);
            }
        }
    }
    for d in [&keys, &wrong, &home, &home.join(".config"), &conf] {
        readable(d, 0o755);
    }
    (keys, home, wrong)
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

/// `tshark -G fields` with the plugin loaded (the built-in dissectors
/// register theirs too): name → type.
fn field_types(e: &Env) -> &'static BTreeMap<String, String> {
    static TYPES: OnceLock<BTreeMap<String, String>> = OnceLock::new();
    TYPES.get_or_init(|| {
        let o = tshark(e, true, &["-G", "fields"]);
        assert_eq!(o.code, Some(0), "tshark -G fields: {}", o.stderr);
        o.stdout
            .lines()
            .filter_map(|l| {
                let c: Vec<&str> = l.split('\t').collect();
                (c.len() > 3 && (c[2].starts_with("rike.") || c[2].starts_with("isakmp.")))
                    .then(|| (c[2].to_owned(), c[3].to_owned()))
            })
            .collect()
    })
}

/// The fields both dissectors have, by suffix.
struct Shared {
    suffixes: Vec<String>,
    /// Suffixes the built-in registers as FT_NONE (a label without a value)
    /// and the plugin with a value: only their presence can be compared.
    presence_only: BTreeSet<String>,
    /// Suffixes whose values are frame numbers (renumbered when a capture
    /// is cut out of the concatenation).
    frame_numbers: BTreeSet<String>,
}

fn shared(e: &Env) -> &'static Shared {
    static SHARED: OnceLock<Shared> = OnceLock::new();
    SHARED.get_or_init(|| {
        let types = field_types(e);
        let mut sh = Shared {
            suffixes: Vec::new(),
            presence_only: BTreeSet::new(),
            frame_numbers: BTreeSet::new(),
        };
        for (f, t) in types {
            let Some(s) = f.strip_prefix("isakmp.") else {
                continue;
            };
            let Some(ot) = types.get(&format!("rike.{s}")) else {
                continue;
            };
            if NOT_COMPARED.contains(&s) {
                continue;
            }
            if t == "FT_NONE" && ot != "FT_NONE" {
                sh.presence_only.insert(s.to_owned());
            }
            if t == "FT_FRAMENUM" {
                sh.frame_numbers.insert(s.to_owned());
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

/// Parses `-T fields` output; the values of the n-th field go under
/// `keys[n]`.
fn parse_fields(stdout: &str, keys: &[String]) -> Fields {
    let mut out = Fields::new();
    for line in stdout.lines() {
        let mut cols = line.split('\u{1e}');
        let Some(frame) = cols.next().and_then(|f| f.trim().parse::<u32>().ok()) else {
            continue;
        };
        let mut m = BTreeMap::new();
        for (s, c) in keys.iter().zip(cols) {
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

/// The built-in dissector's pass (no plugin) over each of `caps`, HOME
/// `home`.
fn builtin_pass(e: &Env, caps: &[(String, PathBuf)], home: &Path) -> Vec<Pass> {
    let suffixes = &shared(e).suffixes;
    let names: Vec<String> = suffixes.iter().map(|s| format!("isakmp.{s}")).collect();
    par_map(caps, |(_, cap)| {
        let mut args = fields_args(cap, &names);
        args.extend(BUILTIN_PORTS);
        let o = tshark_in(e, false, home, &args);
        Pass {
            code: o.code,
            fields: parse_fields(&o.stdout, suffixes),
            stderr: o.stderr,
        }
    })
}

/// Extra fields of the plugin's passes, kept under their full names.
const PLUGIN_EXTRA: &[&str] = &["_ws.col.Protocol", "rike.short", "rike.malformed"];

/// The plugin's pass over each of `caps` (built-in dissectors disabled):
/// the shared fields by suffix, [`PLUGIN_EXTRA`] by name.
fn plugin_pass(e: &Env, caps: &[(String, PathBuf)], extra: &[&str]) -> Vec<Pass> {
    let suffixes = &shared(e).suffixes;
    let mut names: Vec<String> = suffixes.iter().map(|s| format!("rike.{s}")).collect();
    names.extend(PLUGIN_EXTRA.iter().map(|s| s.to_string()));
    let mut keys = suffixes.clone();
    keys.extend(PLUGIN_EXTRA.iter().map(|s| s.to_string()));
    par_map(caps, |(_, cap)| {
        let mut args = fields_args(cap, &names);
        args.extend(PLUGIN_ONLY);
        args.extend(extra);
        let o = tshark(e, true, &args);
        Pass {
            code: o.code,
            fields: parse_fields(&o.stdout, &keys),
            stderr: o.stderr,
        }
    })
}

/// The built-in pass over every capture, without keys: one run over the
/// concatenation, cut back into captures (frame numbers, and values that
/// are frame numbers, renumbered); captures not in it run alone. Shared by
/// the tests ((a) takes the exit statuses).
fn baselines(e: &Env) -> &'static [Pass] {
    static B: OnceLock<Vec<Pass>> = OnceLock::new();
    B.get_or_init(|| {
        let home = e.dir.join("home");
        let Some(m) = &e.merged else {
            return builtin_pass(e, &e.caps, &home);
        };
        let one = builtin_pass(e, &[(String::new(), m.path.clone())], &home)
            .pop()
            .unwrap();
        if one.code != Some(0) {
            eprintln!(
                "built-in pass over the concatenation: exit {:?}; per capture instead",
                one.code
            );
            return builtin_pass(e, &e.caps, &home);
        }
        let sh = shared(e);
        let mut out: Vec<Pass> = e
            .caps
            .iter()
            .map(|_| Pass {
                code: Some(0),
                fields: Fields::new(),
                stderr: one.stderr.clone(),
            })
            .collect();
        for (frame, mut f) in one.fields {
            let (i, local) = m.locate(frame).expect("a frame of the concatenation");
            let before = frame - local;
            for (s, v) in f.iter_mut() {
                if sh.frame_numbers.contains(s) {
                    for x in v.iter_mut() {
                        if let Ok(n) = x.parse::<u32>() {
                            *x = (n - before).to_string();
                        }
                    }
                }
            }
            out[i].fields.insert(local, f);
        }
        let solo: Vec<(String, PathBuf)> = m.solo.iter().map(|&i| e.caps[i].clone()).collect();
        for (&i, p) in m.solo.iter().zip(builtin_pass(e, &solo, &home)) {
            out[i] = p;
        }
        out
    })
}

/// The plugin's pass over every capture, without keys (shared by (a) and
/// (b)).
fn plugin_nokeys(e: &Env) -> &'static [Pass] {
    static P: OnceLock<Vec<Pass>> = OnceLock::new();
    P.get_or_init(|| plugin_pass(e, &e.caps, &[]))
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
    let ours: Vec<&String> = field_types(e)
        .keys()
        .filter(|f| f.starts_with("rike."))
        .collect();
    assert!(ours.len() > 150, "only {} rike.* fields", ours.len());
    for f in [
        "rike.ispi",
        "rike.exchangetype",
        "rike.tcp.length",
        "rike.response_in",
        "rike.enc.icd.status",
        "rike.short",
    ] {
        assert!(field_types(e).contains_key(f), "{f} not registered");
    }
    let heur = tshark(e, true, &["-G", "heuristic-decodes"]);
    assert!(
        heur.stdout.lines().any(|l| l.starts_with("tcp\trike\t")),
        "no rike_tcp heuristic on tcp:\n{}",
        heur.stdout
    );
}

/// A capture file the crash/hang runs of (a) read: the concatenation, or
/// one capture.
struct Target {
    name: String,
    path: PathBuf,
    /// Captures it holds (indices into `Env::caps`).
    members: Vec<usize>,
    /// tshark's exit status without the plugin.
    code: Option<i32>,
}

fn targets(e: &Env) -> Vec<Target> {
    let base = baselines(e);
    let one = |i: usize| Target {
        name: e.caps[i].0.clone(),
        path: e.caps[i].1.clone(),
        members: vec![i],
        code: base[i].code,
    };
    match &e.merged {
        Some(m) => {
            let members: Vec<usize> = m.members.iter().map(|x| x.0).collect();
            let mut t = vec![Target {
                name: format!("all {} mergeable captures concatenated", members.len()),
                path: m.path.clone(),
                code: Some(0),
                members,
            }];
            t.extend(m.solo.iter().map(|&i| one(i)));
            t
        }
        None => (0..e.caps.len()).map(one).collect(),
    }
}

/// The crash/hang runs of (a): what they are called and their arguments
/// after `-r FILE -n`.
fn crash_modes(e: &Env) -> Vec<(&'static str, Vec<String>)> {
    let keys = format!("rike.keys_file:{}", path_str(&e.keys));
    let own = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let mut two = own(&["-2", "-V"]);
    two.extend(own(PLUGIN_ONLY));
    vec![
        ("-V (built-in enabled)", own(&["-V"])),
        ("-2 -V (plugin only)", two),
        ("-T json (with keys)", own(&["-T", "json", "-o", &keys])),
        ("-V (with keys)", own(&["-V", "-o", &keys])),
    ]
}

/// Problems of one run of (a).
fn crash_check(o: &Out, code: Option<i32>, json: bool) -> Vec<String> {
    let mut bad = Vec::new();
    match o.code {
        Some(124) | Some(137) => bad.push(format!("hung (killed after {TIMEOUT_S} s)")),
        None => bad.push("killed by a signal".to_owned()),
        c if c != code => bad.push(format!(
            "exit status {c:?}, {code:?} without the plugin: {}",
            o.stderr.trim()
        )),
        _ => {}
    }
    for f in forbidden_in(&o.all()) {
        bad.push(format!("output contains {f:?}"));
    }
    if json && !o.stdout.trim_end().ends_with(']') {
        bad.push("JSON output not closed".to_owned());
    }
    bad
}

/// Outputs of the crash/hang runs, kept for the tests that read them:
/// (target, mode, output).
fn crash_runs(e: &Env) -> &'static [(usize, usize, Out)] {
    static R: OnceLock<Vec<(usize, usize, Out)>> = OnceLock::new();
    R.get_or_init(|| {
        let t = targets(e);
        let modes = crash_modes(e);
        let jobs: Vec<(usize, usize)> = (0..t.len())
            .flat_map(|i| (0..modes.len()).map(move |m| (i, m)))
            .collect();
        let outs = par_map(&jobs, |&(i, m)| {
            let mut a = vec!["-r", path_str(&t[i].path), "-n"];
            a.extend(modes[m].1.iter().map(String::as_str));
            tshark(e, true, &a)
        });
        jobs.into_iter()
            .zip(outs)
            .map(|((i, m), o)| (i, m, o))
            .collect()
    })
}

/// (a) No crash, hang, assertion or dissector bug; the exit status is the
/// one tshark has without the plugin. A failure over the concatenation is
/// pinned on its captures by running them one by one.
#[test]
fn a_no_crash_or_hang_on_any_capture() {
    let Some(e) = env() else { return };
    let t = targets(e);
    let modes = crash_modes(e);
    let base = baselines(e);
    let mut failures = Vec::new();
    for (i, m, o) in crash_runs(e) {
        let (what, args) = &modes[*m];
        let bad = crash_check(o, t[*i].code, what.contains("json"));
        if bad.is_empty() {
            continue;
        }
        if t[*i].members.len() == 1 {
            failures.extend(bad.iter().map(|b| format!("{} [{what}]: {b}", t[*i].name)));
            continue;
        }
        // Which captures? Each one alone.
        let culprits = par_map(&t[*i].members, |&c| {
            let mut a = vec!["-r", path_str(&e.caps[c].1), "-n"];
            a.extend(args.iter().map(String::as_str));
            crash_check(&tshark(e, true, &a), base[c].code, what.contains("json"))
        });
        let mut pinned = false;
        for (&c, bad) in t[*i].members.iter().zip(culprits) {
            for b in bad {
                pinned = true;
                failures.push(format!("{} [{what}]: {b}", e.caps[c].0));
            }
        }
        if !pinned {
            failures.extend(bad.iter().map(|b| format!("{} [{what}]: {b}", t[*i].name)));
        }
    }
    // What the plugin dissects at all, from its pass of (b).
    let with_rike = plugin_nokeys(e)
        .iter()
        .filter(|p| {
            p.fields.values().any(|f| {
                f.keys().any(|k| !k.starts_with('_'))
                    || f.get("_ws.col.Protocol")
                        .is_some_and(|v| v.iter().any(|x| x == "rike"))
            })
        })
        .count();
    eprintln!(
        "(a) {} tshark runs ({} modes over {} files: {}) for {} captures ({} dissected by rike): {} problems",
        crash_runs(e).len(),
        modes.len(),
        t.len(),
        t.iter().map(|t| t.name.as_str()).take(3).collect::<Vec<_>>().join(", "),
        e.caps.len(),
        with_rike,
        failures.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(
        with_rike * 10 >= e.caps.len() * 8,
        "the plugin dissected only {with_rike} of {} captures",
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
    let shared_set: BTreeSet<&str> = sh.suffixes.iter().map(String::as_str).collect();
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
            // Only the shared fields count (the plugin's pass has extras).
            let pf_shared: Vec<&str> = pf
                .keys()
                .filter(|k| shared_set.contains(k.as_str()))
                .map(String::as_str)
                .collect();
            if pf_shared.is_empty() && bf.is_empty() {
                continue;
            }
            if bf.is_empty() {
                // The built-in shows none of the shared fields in this frame
                // (RFC 8229 TCP …): nothing to compare, but it must be known.
                let reason = explain(name, frame, "plugin-only").unwrap_or_else(|| {
                    unexplained.push(format!("{name}\t{frame}\tplugin-only"));
                    "UNEXPLAINED".to_owned()
                });
                let fields = pf_shared;
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
/// (b) Field-by-field agreement with the built-in dissector over every
/// capture, without keys.
#[test]
fn b_agrees_with_builtin_dissector() {
    let Some(e) = env() else { return };
    let n = shared(e).suffixes.len();
    assert!(n > 60, "too few shared fields: {n}");
    let diff = e.root.join("tests/plugin/differences.tsv");
    let (agree, compared) = compare(
        e,
        "nokeys",
        ONLY_WITH_KEYS,
        &e.caps,
        baselines(e),
        plugin_nokeys(e),
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

/// The captures that come with keys ([`KEYED`]).
fn keyed(e: &Env) -> Vec<(String, PathBuf)> {
    let caps: Vec<(String, PathBuf)> = e
        .caps
        .iter()
        .filter(|(n, _)| KEYED.iter().any(|(k, _)| k == n))
        .cloned()
        .collect();
    assert_eq!(
        caps.len(),
        KEYED.len(),
        "captures of KEYED missing from tests/data"
    );
    caps
}

/// (b, with keys) The same comparison over the captures that come with
/// keys: the built-in reads the key tables as its UAT files, the plugin
/// through its `rike.keys_file` preference; the decrypted payloads are
/// compared too, and must show up in a data source of their own.
#[test]
fn b_with_keys_agrees_with_builtin_dissector() {
    let Some(e) = env() else { return };
    let caps = keyed(e);
    let pref = format!("rike.keys_file:{}", path_str(&e.keys));
    let mut plugin = plugin_pass(e, &caps, &["-o", &pref]);
    let mut base = builtin_pass(e, &caps, &e.home_keys);
    for (name, frame, _) in BUILTIN_CANNOT_DECRYPT {
        let i = caps.iter().position(|(n, _)| n == name).unwrap();
        for p in [&mut plugin[i], &mut base[i]] {
            if *frame == 0 {
                p.fields.clear();
            } else {
                p.fields.remove(frame);
            }
        }
    }
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
            "-Y",
            "rike.id.type",
            "-T",
            "fields",
            "-e",
            "frame.number",
            "-e",
            "rike.enc.icd.status",
            "-e",
            "rike.ts.start_ipv4",
        ],
    );
    assert_eq!(o.code, Some(0), "{}", o.stderr);
    let x = tshark(
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
    assert!(
        x.stdout.contains("Decrypted IKE ("),
        "no decrypted data source:\n{}",
        x.stdout
    );
    let r = rows(&o);
    assert_eq!(
        r.keys().copied().collect::<Vec<_>>(),
        [3, 4],
        "{}",
        o.stdout
    );
    assert_eq!(r[&3][0], "1", "ICV status Good: {}", o.stdout);
    assert!(r[&3][1].contains("10.1.0.1"), "{}", o.stdout);
}

// ---------------------------------------------------------------- JSON

/// A JSON value of tshark's `-T json` output, objects in document order
/// with repeated keys kept (tshark writes a field that occurs twice at one
/// level as two keys).
#[derive(Debug)]
enum Json {
    Str(String),
    Arr(Vec<Json>),
    Obj(Vec<(String, Json)>),
    Other,
}

struct JsonParser<'a> {
    b: &'a [u8],
    i: usize,
}

impl JsonParser<'_> {
    fn ws(&mut self) {
        while self.i < self.b.len() && self.b[self.i].is_ascii_whitespace() {
            self.i += 1;
        }
    }

    fn string(&mut self) -> String {
        assert_eq!(self.b[self.i], b'"', "JSON string at {}", self.i);
        self.i += 1;
        let mut out = Vec::new();
        while self.b[self.i] != b'"' {
            if self.b[self.i] == b'\\' {
                self.i += 1;
                match self.b[self.i] {
                    b'n' => out.push(b'\n'),
                    b't' => out.push(b'\t'),
                    b'r' => out.push(b'\r'),
                    b'b' => out.push(8),
                    b'f' => out.push(12),
                    b'u' => {
                        let hex = std::str::from_utf8(&self.b[self.i + 1..self.i + 5]).unwrap();
                        let c = u32::from_str_radix(hex, 16).unwrap();
                        let c = char::from_u32(c).unwrap_or('\u{fffd}');
                        out.extend(c.to_string().bytes());
                        self.i += 4;
                    }
                    c => out.push(c),
                }
            } else {
                out.push(self.b[self.i]);
            }
            self.i += 1;
        }
        self.i += 1;
        String::from_utf8_lossy(&out).into_owned()
    }

    fn value(&mut self) -> Json {
        self.ws();
        match self.b[self.i] {
            b'"' => Json::Str(self.string()),
            b'{' => {
                self.i += 1;
                let mut v = Vec::new();
                loop {
                    self.ws();
                    if self.b[self.i] == b'}' {
                        self.i += 1;
                        return Json::Obj(v);
                    }
                    if self.b[self.i] == b',' {
                        self.i += 1;
                        self.ws();
                    }
                    let k = self.string();
                    self.ws();
                    assert_eq!(self.b[self.i], b':', "JSON colon at {}", self.i);
                    self.i += 1;
                    v.push((k, self.value()));
                }
            }
            b'[' => {
                self.i += 1;
                let mut v = Vec::new();
                loop {
                    self.ws();
                    match self.b[self.i] {
                        b']' => {
                            self.i += 1;
                            return Json::Arr(v);
                        }
                        b',' => self.i += 1,
                        _ => v.push(self.value()),
                    }
                }
            }
            _ => {
                while self.i < self.b.len() && !b",}]".contains(&self.b[self.i]) {
                    self.i += 1;
                }
                Json::Other
            }
        }
    }
}

/// One tree item of a packet: filter name, value ("" for labels), items
/// under it.
#[derive(Debug)]
struct Node {
    key: String,
    value: String,
    children: Vec<Node>,
}

impl Node {
    /// Every item with filter name `key` in this subtree, in tree order.
    fn all<'n>(&'n self, key: &str, out: &mut Vec<&'n Node>) {
        for c in &self.children {
            if c.key == key {
                out.push(c);
            }
            c.all(key, out);
        }
    }

    fn find(&self, key: &str) -> Vec<&Node> {
        let mut v = Vec::new();
        self.all(key, &mut v);
        v
    }

    fn child(&self, key: &str) -> Option<&Node> {
        self.children.iter().find(|c| c.key == key)
    }
}

/// The items of a JSON object: `x_tree` objects become the children of
/// the `x` before them; an object under any other key is a label with
/// children.
fn nodes(obj: Vec<(String, Json)>) -> Vec<Node> {
    let mut out: Vec<Node> = Vec::new();
    for (k, v) in obj {
        match v {
            Json::Obj(o) if k.ends_with("_tree") => {
                let kids = nodes(o);
                match out.last_mut() {
                    Some(n) if n.key == k[..k.len() - 5] => n.children.extend(kids),
                    _ => out.push(Node {
                        key: k,
                        value: String::new(),
                        children: kids,
                    }),
                }
            }
            Json::Obj(o) => out.push(Node {
                key: k,
                value: String::new(),
                children: nodes(o),
            }),
            Json::Str(s) => out.push(Node {
                key: k,
                value: s,
                children: Vec::new(),
            }),
            Json::Arr(a) => {
                for x in a {
                    out.extend(nodes(vec![(k.clone(), x)]));
                }
            }
            Json::Other => {}
        }
    }
    out
}

/// The packets of `tshark -T json` output: frame number → the root of its
/// tree (children: the layers).
fn json_packets(text: &str) -> BTreeMap<u32, Node> {
    let t = text.trim();
    if t.is_empty() {
        return BTreeMap::new();
    }
    let mut p = JsonParser {
        b: t.as_bytes(),
        i: 0,
    };
    let Json::Arr(packets) = p.value() else {
        panic!("tshark -T json: not an array")
    };
    let mut out = BTreeMap::new();
    for pkt in packets {
        let root = Node {
            key: String::new(),
            value: String::new(),
            children: match pkt {
                Json::Obj(o) => nodes(o),
                _ => Vec::new(),
            },
        };
        let frame = root
            .find("frame.number")
            .first()
            .and_then(|n| n.value.parse().ok())
            .expect("frame.number in every packet");
        out.insert(frame, root);
    }
    out
}

// ---------------------------------------------------------------- (d)

/// What one packet shows of its encrypted payloads.
#[derive(Debug, Default)]
struct Decryption {
    /// Encrypted payloads (`rike.enc.data` items).
    encrypted: usize,
    /// `Decrypted Data` subtrees.
    decrypted: usize,
    /// ICV/tag verdicts (`rike.enc.icd.status`: 0 Bad, 1 Good, 2 Unverified).
    status: Vec<String>,
    /// IKEv1 HASH(1) checks.
    hash_check: Vec<String>,
    /// Payloads shown inside decrypted or reassembled data.
    inner_payloads: usize,
    /// Decrypted subtrees (not RFC 7383 fragments) of a non-empty chain
    /// that show no payload: garbage or a lost chain.
    empty_but_announced: usize,
    /// Experts of the Decryption group: (abbrev, message, group value).
    decryption_experts: Vec<(String, String, String)>,
}

/// `PI_DECRYPTION` as tshark writes `_ws.expert.group` in JSON.
const PI_DECRYPTION: &str = "201326592";

fn decryption_of(pkt: &Node) -> Decryption {
    let mut d = Decryption::default();
    for rike in pkt.find("rike") {
        d.encrypted += rike.find("rike.enc.data").len();
        d.decrypted += rike.find("rike.enc.decrypted").len();
        d.status.extend(
            rike.find("rike.enc.icd.status")
                .iter()
                .map(|n| n.value.clone()),
        );
        d.hash_check.extend(
            rike.find("rike.enc.hash_check")
                .iter()
                .map(|n| n.value.clone()),
        );
        for label in ["rike.enc.decrypted", "rike.enc.reassembled"] {
            for dec in rike.find(label) {
                d.inner_payloads += dec.find("rike.typepayload").len();
            }
        }
        // IKEv2: an SK payload whose next payload is not NONE announces a
        // chain; its decrypted subtree must show it.
        for p in rike.find("rike.typepayload") {
            if p.value != "46" {
                continue;
            }
            let announced = p.child("rike.nextpayload").is_some_and(|n| n.value != "0");
            if let Some(dec) = p.child("rike.enc.decrypted") {
                if announced && dec.find("rike.typepayload").is_empty() {
                    d.empty_but_announced += 1;
                }
            }
        }
        // IKEv1: the body of an encrypted message, likewise.
        if let (Some(np), Some(dec)) = (
            rike.child("rike.nextpayload"),
            rike.child("rike.enc.decrypted"),
        ) {
            if np.value != "0" && dec.find("rike.typepayload").is_empty() {
                d.empty_but_announced += 1;
            }
        }
        for ex in rike.find("_ws.expert") {
            let group = ex
                .child("_ws.expert.group")
                .map_or("", |n| n.value.as_str());
            let msg = ex
                .child("_ws.expert.message")
                .map_or("", |n| n.value.as_str());
            let abbrev = ex
                .children
                .iter()
                .find(|c| c.key.starts_with("rike."))
                .map_or("", |c| c.key.as_str());
            if group == PI_DECRYPTION
                || abbrev == "rike.ikev2.integrity_checksum"
                || abbrev == "rike.decryption.failed"
            {
                d.decryption_experts
                    .push((abbrev.to_owned(), msg.to_owned(), group.to_owned()));
            }
        }
    }
    d
}

fn exception(name: &str, frame: u32) -> Option<&'static str> {
    DECRYPTION_EXCEPTIONS
        .iter()
        .find(|(c, f, _)| *c == name && (*f == 0 || *f == frame))
        .map(|x| x.2)
}

/// (d) Decryption in the plugin through `rike.keys_file`, capture by
/// capture: with the keys every encrypted payload decrypts, shows its
/// inner payloads and a Good ICV/tag (listed exceptions aside); with every
/// key flipped every encrypted payload reports the wrong key (an expert of
/// Wireshark's Decryption group) and shows no payloads. Also: no capture
/// outside [`KEYED`] decrypts with the joined tables (so the list is
/// complete). Writes `decryption.tsv`.
#[test]
fn d_decryption_with_key_file() {
    let Some(e) = env() else { return };
    let caps = keyed(e);
    let good = format!("rike.keys_file:{}", path_str(&e.keys));
    let wrong = format!("rike.keys_file:{}", path_str(&e.wrong_keys));
    let runs: Vec<(usize, bool)> = (0..caps.len())
        .flat_map(|i| [(i, true), (i, false)])
        .collect();
    let outs = par_map(&runs, |&(i, ok)| {
        let pref = if ok { &good } else { &wrong };
        let mut a = vec!["-r", path_str(&caps[i].1), "-n", "-T", "json", "-o", pref];
        a.extend(PLUGIN_ONLY);
        tshark(e, true, &a)
    });
    let mut problems = Vec::new();
    let mut report = String::from(
        "capture\tkeys from\tencrypted payloads\tdecrypted\tICV/tag Good\tIKEv1 HASH(1) correct\t\
         inner payloads shown\twith wrong keys: Decryption experts\twith wrong keys: payloads shown\n",
    );
    for (ci, (name, _)) in caps.iter().enumerate() {
        let source = KEYED.iter().find(|(k, _)| k == name).unwrap().1;
        let (mut enc, mut dec, mut good_icv, mut good_hash, mut inner) = (0, 0, 0, 0, 0);
        let (mut w_experts, mut w_inner) = (0, 0);
        for ((_, ok), o) in runs.iter().zip(&outs).filter(|((i, _), _)| *i == ci) {
            if o.code != Some(0) {
                problems.push(format!(
                    "{name}: tshark exit {:?}: {}",
                    o.code,
                    o.stderr.trim()
                ));
                continue;
            }
            for (frame, pkt) in json_packets(&o.stdout) {
                let d = decryption_of(&pkt);
                if d.encrypted == 0 {
                    continue;
                }
                let except = exception(name, frame);
                if *ok {
                    enc += d.encrypted;
                    dec += d.decrypted;
                    good_icv += d.status.iter().filter(|s| *s == "1").count();
                    good_hash += d.hash_check.iter().filter(|s| *s == "[correct]").count();
                    inner += d.inner_payloads;
                    if except.is_some() {
                        continue;
                    }
                    let mut bad = Vec::new();
                    if d.decrypted != d.encrypted {
                        bad.push(format!(
                            "{} of {} encrypted payloads decrypted",
                            d.decrypted, d.encrypted
                        ));
                    }
                    if d.status.iter().any(|s| s != "1") {
                        bad.push(format!("ICV/tag status {:?} (1 = Good)", d.status));
                    }
                    if d.hash_check.iter().any(|s| s != "[correct]") {
                        bad.push(format!("HASH(1) {:?}", d.hash_check));
                    }
                    if d.empty_but_announced > 0 {
                        bad.push("a decrypted chain shows no payloads".to_owned());
                    }
                    if !d.decryption_experts.is_empty() {
                        bad.push(format!("experts {:?}", d.decryption_experts));
                    }
                    if !bad.is_empty() {
                        problems.push(format!("{name} frame {frame} (keys): {}", bad.join("; ")));
                    }
                } else {
                    w_inner += d.inner_payloads;
                    let wrong_key: Vec<_> = d
                        .decryption_experts
                        .iter()
                        .filter(|(a, m, g)| {
                            g == PI_DECRYPTION
                                && a == "rike.ikev2.integrity_checksum"
                                && (m.contains("wrong") || m.contains("does not verify"))
                        })
                        .collect();
                    w_experts += wrong_key.len();
                    if except.is_some() && d.decryption_experts.is_empty() {
                        continue; // never decrypted, with good keys either
                    }
                    let mut bad = Vec::new();
                    if wrong_key.len() != d.encrypted {
                        bad.push(format!(
                            "{} wrong-key experts for {} encrypted payloads ({:?})",
                            wrong_key.len(),
                            d.encrypted,
                            d.decryption_experts
                        ));
                    }
                    if d.inner_payloads > 0 {
                        bad.push(format!(
                            "{} payloads shown from wrongly decrypted data",
                            d.inner_payloads
                        ));
                    }
                    if d.status.iter().any(|s| s != "0") {
                        bad.push(format!("ICV/tag status {:?} (0 = Bad)", d.status));
                    }
                    if !bad.is_empty() {
                        problems.push(format!(
                            "{name} frame {frame} (wrong keys): {}",
                            bad.join("; ")
                        ));
                    }
                }
            }
        }
        if dec == 0 {
            problems.push(format!("{name}: nothing decrypted with its keys"));
        }
        let _ = writeln!(
            report,
            "{name}\t{source}\t{enc}\t{dec}\t{good_icv}\t{good_hash}\t{inner}\t{w_experts}\t{w_inner}"
        );
    }
    // Completeness of KEYED: in the concatenation with every key (a's JSON
    // run), nothing outside KEYED decrypts with a good ICV/tag (captures
    // that reuse a keyed capture's SPIs with other keys decrypt to a bad
    // one).
    if let Some(m) = &e.merged {
        let modes = crash_modes(e);
        let json = modes
            .iter()
            .position(|m| m.0.starts_with("-T json"))
            .unwrap();
        if let Some((_, _, o)) = crash_runs(e)
            .iter()
            .find(|(t, md, _)| *t == 0 && *md == json)
        {
            let mut outside = BTreeSet::new();
            for (frame, pkt) in json_packets(&o.stdout) {
                let d = decryption_of(&pkt);
                if d.decrypted == 0 || !d.decryption_experts.is_empty() {
                    continue;
                }
                let (i, _) = m.locate(frame).expect("a frame of the concatenation");
                if !KEYED.iter().any(|(k, _)| *k == e.caps[i].0) {
                    outside.insert(e.caps[i].0.clone());
                }
            }
            assert!(
                outside.is_empty(),
                "captures outside KEYED decrypt with the key tables of tests/data: {outside:?}"
            );
        }
    }
    std::fs::write(e.report.join("decryption.tsv"), &report).unwrap();
    eprintln!("(d) decryption with the plugin:\n{report}");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
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

/// Summary lines without a tree (tshark without -V: the plugin asks
/// librike for no records, RIKE_PDU_NO_TREE) equal those with one (`-Y
/// frame` makes tshark build the tree to filter on), with keys, over every
/// capture: the no-tree path shows and learns the same.
#[test]
fn summary_lines_are_the_same_without_a_tree() {
    let Some(e) = env() else { return };
    let pref = format!("rike.keys_file:{}", path_str(&e.keys));
    let files: Vec<PathBuf> = match &e.merged {
        Some(m) => std::iter::once(m.path.clone())
            .chain(m.solo.iter().map(|&i| e.caps[i].1.clone()))
            .collect(),
        None => e.caps.iter().map(|(_, p)| p.clone()).collect(),
    };
    let mut rike_lines = 0;
    for f in &files {
        let run = |extra: &[&str]| {
            let mut args = vec!["-r", path_str(f), "-n", "-o", &pref];
            args.extend(PLUGIN_ONLY);
            args.extend(extra);
            tshark(e, true, &args)
        };
        let (lean, full) = (run(&[]), run(&["-Y", "frame"]));
        assert_eq!(lean.code, full.code, "{}: {}", f.display(), lean.stderr);
        assert_eq!(
            lean.stdout,
            full.stdout,
            "{}: summary lines differ",
            f.display()
        );
        rike_lines += lean.stdout.lines().filter(|l| l.contains(" RIKE ")).count();
    }
    assert!(rike_lines > 400, "only {rike_lines} RIKE summary lines");
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
    // With the esp dissector disabled, rike shows the ESP header itself.
    let o = tshark(
        e,
        true,
        &[
            "-r",
            path_str(&cap),
            "-n",
            "--disable-protocol",
            "esp",
            "-T",
            "fields",
            "-e",
            "frame.number",
            "-e",
            "rike.esp.spi",
            "-e",
            "_ws.col.Protocol",
        ],
    );
    let r = rows(&o);
    assert_eq!(r[&3], ["0xc0ffee01", "RIKE"], "{}", o.stdout);
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

/// The text of the crash/hang runs of (a) in mode `mode` (all targets).
fn crash_text(e: &Env, mode: &str) -> String {
    let modes = crash_modes(e);
    let m = modes
        .iter()
        .position(|x| x.0 == mode)
        .expect("a mode of (a)");
    crash_runs(e)
        .iter()
        .filter(|(_, md, _)| *md == m)
        .map(|(_, _, o)| o.stdout.as_str())
        .collect()
}

/// Values in named ranges (private use, unassigned …) show the range's
/// name, as rike's CLI does, not "Unknown"; expert infos carry librike's
/// groups.
#[test]
fn e_range_names_and_expert_groups() {
    let Some(e) = env() else { return };
    let text = crash_text(e, "-V (built-in enabled)");
    for want in [
        "Transform ID (ENCR): Private use (26380)",
        "Exchange type: Unassigned (190)",
        "Payload: Private use (145)",
        "Next payload: Unassigned (126)",
    ] {
        assert!(text.contains(want), "-V output lacks {want:?}");
    }
    for want in [
        "[Expert Info (Note/Sequence): retransmission of",
        "[Expert Info (Warning/Reassemble): fragments missing so far",
        "[Expert Info (Error/Malformed): ",
        "[Expert Info (Warning/Undecoded): ",
    ] {
        assert!(text.contains(want), "-V output lacks {want:?}");
    }
    let keyed = crash_text(e, "-V (with keys)");
    assert!(
        keyed.contains("[Expert Info (Error/Decryption): ICV does not verify"),
        "no Decryption-group expert for tcpdump/ikev2pI2.pcap's bad ICV"
    );
}

/// A capture cut by the snapshot length: what was not captured is told
/// apart from malformed data (rike.short, group Undecoded), never reported
/// as a bad length.
#[test]
fn e_snaplen_cut_is_not_malformed() {
    let Some(e) = env() else { return };
    let src = crafted(e, "ikev2-sa-init.pcap");
    let cut = e.dir.join("caps/sa-init-snaplen100.pcap");
    // Ethernet 14 + IPv4 20 + UDP 8 + 58 octets of IKE.
    let st = Command::new("editcap")
        .args(["-s", "100"])
        .arg(&src)
        .arg(&cut)
        .status()
        .expect("editcap (wireshark-common, installed with tshark)");
    assert!(st.success(), "editcap -s 100 failed");
    readable(&cut, 0o644);
    let mut a = vec![
        "-r",
        path_str(&cut),
        "-n",
        "-T",
        "fields",
        "-E",
        "occurrence=a",
    ];
    for f in [
        "frame.number",
        "rike.short",
        "rike.malformed",
        "rike.payloadlength.invalid",
        "rike.length.invalid",
        "rike.ispi",
        "_ws.malformed",
    ] {
        a.extend(["-e", f]);
    }
    a.extend(PLUGIN_ONLY);
    let o = tshark(e, true, &a);
    assert_eq!(o.code, Some(0), "{}", o.stderr);
    let r = rows(&o);
    assert_eq!(r.len(), 2, "{}", o.stdout);
    for (frame, v) in &r {
        assert!(!v[0].is_empty(), "frame {frame}: no rike.short: {v:?}");
        assert!(
            v[1..4].iter().all(String::is_empty),
            "frame {frame}: reported as malformed: {v:?}"
        );
        assert!(!v[4].is_empty(), "frame {frame}: no header: {v:?}");
        assert!(
            v[5].is_empty(),
            "frame {frame}: Wireshark's Malformed Packet: {v:?}"
        );
    }
    // Corpus captures cut by their snapshot length say so too; an ESP
    // packet whose header was cut still goes to the esp dissector.
    let nokeys = plugin_nokeys(e);
    let pass = |name: &str| &nokeys[e.caps.iter().position(|(n, _)| n == name).unwrap()];
    let oobr = pass("tcpdump/isakmp-ikev1_n_print-oobr.pcap");
    assert!(
        oobr.fields.values().any(|f| f.contains_key("rike.short")),
        "tcpdump/isakmp-ikev1_n_print-oobr.pcap: no rike.short"
    );
    let esp = pass("tcpdump/esp_truncated.pcap");
    assert_eq!(
        esp.fields
            .get(&1)
            .and_then(|f| f.get("_ws.col.Protocol"))
            .map(Vec::as_slice),
        Some(&["esp".to_owned()][..]),
        "tcpdump/esp_truncated.pcap: {:?}",
        esp.fields.get(&1)
    );
}

/// Writes a pcap of one Ethernet/IPv4/TCP segment from 192.0.2.1:50000 to
/// 192.0.2.2:4500 carrying `payload`.
fn tcp_pcap(path: &Path, payload: &[u8]) {
    let mut f = Vec::new();
    f.extend([0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1, 0x08, 0x00]);
    let ip_len = (20 + 20 + payload.len()) as u16;
    f.extend([
        0x45,
        0,
        (ip_len >> 8) as u8,
        ip_len as u8,
        0,
        1,
        0x40,
        0,
        64,
        6,
        0,
        0,
    ]);
    f.extend([192, 0, 2, 1, 192, 0, 2, 2]);
    f.extend(50000u16.to_be_bytes());
    f.extend(4500u16.to_be_bytes());
    f.extend(1000u32.to_be_bytes());
    f.extend(1u32.to_be_bytes());
    f.extend([0x50, 0x18, 0xff, 0xff, 0, 0, 0, 0]);
    f.extend(payload);
    let mut out = Vec::new();
    out.extend(0xa1b2c3d4u32.to_le_bytes());
    out.extend(2u16.to_le_bytes());
    out.extend(4u16.to_le_bytes());
    out.extend([0u8; 8]);
    out.extend(65535u32.to_le_bytes());
    out.extend(1u32.to_le_bytes());
    out.extend(1_000_000u32.to_le_bytes());
    out.extend(0u32.to_le_bytes());
    out.extend((f.len() as u32).to_le_bytes());
    out.extend((f.len() as u32).to_le_bytes());
    out.extend(&f);
    std::fs::write(path, out).unwrap();
    readable(path, 0o644);
}

/// An RFC 8229 frame length below 6 (the stream cannot be framed): the
/// plugin shows the bad length field with a rike.malformed expert, not
/// Wireshark's "Malformed Packet" bounds error.
#[test]
fn e_bad_rfc8229_frame_length() {
    let Some(e) = env() else { return };
    let cap = e.dir.join("caps/rfc8229-bad-length.pcap");
    tcp_pcap(&cap, b"IKETCP\x00\x03junk");
    let f = [
        "-r",
        path_str(&cap),
        "-n",
        "-T",
        "fields",
        "-E",
        "occurrence=a",
        "-E",
        "aggregator=|",
        "-e",
        "frame.number",
        "-e",
        "rike.tcp.prefix",
        "-e",
        "rike.tcp.length",
        "-e",
        "rike.malformed",
        "-e",
        "_ws.malformed",
        "-e",
        "_ws.col.Protocol",
    ];
    let o = tshark(e, true, &f);
    assert_eq!(o.code, Some(0), "{}", o.stderr);
    let r = rows(&o);
    assert_eq!(r[&1][0], "IKETCP", "{}", o.stdout);
    assert_eq!(r[&1][1], "3", "{}", o.stdout);
    assert!(!r[&1][2].is_empty(), "no rike.malformed: {}", o.stdout);
    // An expert of the Malformed group sets _ws.malformed (so that the
    // usual filter finds the packet), as any dissector's would.
    assert!(!r[&1][3].is_empty(), "no _ws.malformed: {}", o.stdout);
    let v = tshark(e, true, &["-r", path_str(&cap), "-n", "-V"]);
    assert!(
        v.stdout
            .contains("RFC 8229 frame length: 3 (invalid: below 6)"),
        "{}",
        v.stdout
    );
    assert!(forbidden_in(&v.all()).is_empty(), "{}", v.stdout);
}
