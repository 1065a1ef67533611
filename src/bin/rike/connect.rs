//! `rike connect` (initiator) and `rike listen` (responder): the IKEv2
//! engine over real UDP sockets. This file reads the options (command
//! line and option file) and builds the engine's configuration;
//! `udp_driver` runs it.

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::{ArgMatches, Args as _, Command, FromArgMatches};
use rike::crypto::{cert, load_private_key, Secret};
use rike::engine::{
    ChildConfig, Config, DpdAction, Identity, IpsecMode, LocalAuth, ModeConfigRole, PeerConfig,
    ProposalSpec, RemoteAuth, TrafficSelector, V1Options, XauthRole,
};

use crate::conffile;
use crate::udp_driver::{self, Plan, Role};

const DEFAULT_IKE: &str = "aes256gcm16-prfsha256-x25519,aes128-sha256-modp2048";
const DEFAULT_ESP: &str = "aes256gcm16,aes128-sha256";

/// Seconds (fractions allowed) as milliseconds.
fn secs(s: &str) -> Result<u64, String> {
    let v: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("`{s}` is not seconds"))?;
    if !v.is_finite() || !(0.0..=1.0e9).contains(&v) {
        return Err(format!("`{s}`: seconds out of range"));
    }
    Ok((v * 1000.0).round() as u64)
}

/// Options of `rike connect` and `rike listen`.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct Args {
    /// Read options from FILE: `name = value` lines, names as the long
    /// options below without `--` (`remote-id = sw.test`); the command
    /// line overrides the file.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Our IP address (the sockets bind to it; also the default ID and
    /// traffic selector).
    #[arg(long, value_name = "IP")]
    pub local: Option<IpAddr>,
    /// The peer's IP address (required to connect; restricts who may
    /// connect when listening).
    #[arg(long, value_name = "IP")]
    pub remote: Option<IpAddr>,
    /// Our IKE port (NAT traversal always uses 4500).
    #[arg(long, value_name = "PORT", default_value_t = 500)]
    pub port: u16,
    /// The peer's IKE port.
    #[arg(long, value_name = "PORT", default_value_t = 500)]
    pub remote_port: u16,
    /// Our identity: an IP address, a name (FQDN), user@domain, @#hex
    /// (key ID). Default: our IP address.
    #[arg(long, value_name = "ID")]
    pub local_id: Option<String>,
    /// The identity the peer must prove (default: any).
    #[arg(long, value_name = "ID")]
    pub remote_id: Option<String>,
    /// Read the pre-shared key from FILE: its first line, taken as hex
    /// when it starts with `0x`.
    #[arg(long, value_name = "FILE")]
    pub psk_file: Option<PathBuf>,
    /// Read the pre-shared key from this environment variable.
    #[arg(long, value_name = "VAR")]
    pub psk_env: Option<String>,
    /// Our certificate, PEM or DER; a PEM file may hold the chain to send
    /// (end entity first).
    #[arg(long, value_name = "FILE")]
    pub cert: Option<PathBuf>,
    /// Our private key (PEM or DER: PKCS#8, PKCS#1, SEC1).
    #[arg(long, value_name = "FILE")]
    pub key: Option<PathBuf>,
    /// A trusted CA certificate (PEM or DER; repeatable). With one, the
    /// peer must authenticate with a certificate chaining to it.
    #[arg(long, value_name = "FILE")]
    pub ca: Vec<PathBuf>,
    /// IKE proposals, strongSwan keywords, comma-separated.
    #[arg(long, value_name = "PROPOSALS", default_value = DEFAULT_IKE)]
    pub ike: String,
    /// ESP proposals, strongSwan keywords, comma-separated (a key
    /// exchange keyword asks for PFS on rekeys).
    #[arg(long, value_name = "PROPOSALS", default_value = DEFAULT_ESP)]
    pub esp: String,
    /// Our traffic selector (repeatable): addr/prefix, addr, start-end,
    /// %any, each optionally with [proto/port]. Default: our address.
    #[arg(long, value_name = "TS")]
    pub local_ts: Vec<String>,
    /// The peer's traffic selector (repeatable). Default: the peer's
    /// address, or %any when listening without --remote.
    #[arg(long, value_name = "TS")]
    pub remote_ts: Vec<String>,
    /// Name of the Child SA configuration (for logs).
    #[arg(long, value_name = "NAME", default_value = "net")]
    pub child_name: String,
    /// Transport mode instead of tunnel mode.
    #[arg(long)]
    pub transport: bool,
    /// UDP-encapsulate (port 4500) from the start, even without a NAT.
    #[arg(long)]
    pub encap: bool,
    /// IKE over TCP (RFC 8229) on port 4500: connect opens a stream to the
    /// peer; listen accepts streams (and UDP as well).
    #[arg(long)]
    pub tcp: bool,
    /// Largest IKE datagram before RFC 7383 fragmentation.
    #[arg(long, value_name = "BYTES", default_value_t = 1280)]
    pub mtu: usize,
    /// Neither offer nor accept RFC 7383 fragmentation.
    #[arg(long)]
    pub no_fragmentation: bool,
    /// Rekey the IKE SA this long after it is made.
    #[arg(long, value_name = "SECS", value_parser = secs)]
    pub ike_rekey: Option<u64>,
    /// Rekey Child SAs this long after they are made.
    #[arg(long, value_name = "SECS", value_parser = secs)]
    pub child_rekey: Option<u64>,
    /// Child SAs expire this long after they are made.
    #[arg(long, value_name = "SECS", value_parser = secs)]
    pub child_lifetime: Option<u64>,
    /// Liveness check (DPD) after this long without a message from the
    /// peer.
    #[arg(long, value_name = "SECS", value_parser = secs)]
    pub dpd: Option<u64>,
    /// Succeed (exit 0) once the first Child SA is up, after the
    /// scripted actions and --linger; fail (non-zero, with the reason)
    /// when it cannot be set up.
    #[arg(long)]
    pub once: bool,
    /// Give up when no Child SA is up after this long (default 30 s with
    /// --once, otherwise no limit).
    #[arg(long, value_name = "SECS", value_parser = secs)]
    pub timeout: Option<u64>,
    /// With --once: stay this long after the Child SA is up and the
    /// scripted actions ran (answering the peer's rekeys and deletes).
    #[arg(long, value_name = "SECS", value_parser = secs, default_value = "0")]
    pub linger: u64,
    /// Append the keys of every SA to DIR: ikev2_decryption_table,
    /// ikev1_decryption_table and esp_sa (Wireshark tables), rike.keys
    /// (rike's key log), and a Wireshark `preferences` file (DIR is a profile).
    #[arg(long, value_name = "DIR")]
    pub keylog: Option<PathBuf>,
    /// Scripted: rekey the Child SA this long after it came up.
    #[arg(long, value_name = "SECS", value_parser = secs)]
    pub rekey_child_after: Option<u64>,
    /// Scripted: rekey the IKE SA this long after the Child SA came up.
    #[arg(long, value_name = "SECS", value_parser = secs)]
    pub rekey_ike_after: Option<u64>,
    /// Scripted: delete the Child SA this long after it came up.
    #[arg(long, value_name = "SECS", value_parser = secs)]
    pub delete_child_after: Option<u64>,
    /// Scripted: delete the IKE SA this long after the Child SA came up.
    #[arg(long, value_name = "SECS", value_parser = secs)]
    pub delete_after: Option<u64>,
    /// Also print the engine's diagnostic lines.
    #[arg(short, long)]
    pub verbose: bool,
    /// Speak IKEv1 (RFC 2409: Main Mode, Quick Mode) instead of IKEv2.
    #[arg(long)]
    pub ikev1: bool,
    /// IKEv1: Aggressive Mode instead of Main Mode (identities in clear;
    /// with a pre-shared key an eavesdropper can guess it offline).
    #[arg(long, requires = "ikev1")]
    pub aggressive: bool,
    /// IKEv1 XAUTH role: `client` (answer with --xauth-user and the
    /// password) or `server` (accept only them).
    #[arg(long, value_name = "client|server", requires = "ikev1")]
    pub xauth: Option<String>,
    /// IKEv1 XAUTH user name.
    #[arg(long, value_name = "NAME")]
    pub xauth_user: Option<String>,
    /// IKEv1 XAUTH password, read from this environment variable.
    #[arg(long, value_name = "VAR")]
    pub xauth_password_env: Option<String>,
    /// IKEv1 Mode-Config role: `client` (get an internal address, used as
    /// our traffic selector) or `server` (give one from --pool).
    #[arg(long, value_name = "client|server", requires = "ikev1")]
    pub modecfg: Option<String>,
    /// IKEv1 Mode-Config in push mode (the server sends CFG_SET) instead
    /// of pull (the client sends CFG_REQUEST).
    #[arg(long)]
    pub modecfg_push: bool,
    /// Mode-Config server: an address to give out (repeatable).
    #[arg(long, value_name = "IP")]
    pub pool: Vec<IpAddr>,
    /// Mode-Config server: a DNS server to announce (repeatable).
    #[arg(long, value_name = "IP")]
    pub dns: Vec<IpAddr>,
    /// IKEv1 DPD (with --dpd): `clear` the SAs or `restart` when the peer
    /// is found dead.
    #[arg(long, value_name = "clear|restart")]
    pub dpd_action: Option<String>,
}

/// The IKEv1 options, when --ikev1.
fn v1_options(args: &Args) -> Result<Option<V1Options>, String> {
    if !args.ikev1 {
        if args.xauth.is_some() || args.modecfg.is_some() || args.dpd_action.is_some() {
            return Err("--xauth, --modecfg and --dpd-action need --ikev1".into());
        }
        return Ok(None);
    }
    let password = match &args.xauth_password_env {
        Some(v) => Some(Secret::from_slice(
            std::env::var(v)
                .map_err(|_| format!("${v} is not set"))?
                .as_bytes(),
        )),
        None => None,
    };
    let xauth = match args.xauth.as_deref() {
        None => None,
        Some("client") => Some(XauthRole::Client {
            user: args
                .xauth_user
                .clone()
                .ok_or("--xauth client needs --xauth-user")?,
            password: Some(password.ok_or("--xauth client needs --xauth-password-env")?),
        }),
        Some("server") => Some(XauthRole::Server {
            users: vec![(
                args.xauth_user
                    .clone()
                    .ok_or("--xauth server needs --xauth-user")?,
                password.ok_or("--xauth server needs --xauth-password-env")?,
            )],
        }),
        Some(o) => return Err(format!("--xauth {o}: client or server")),
    };
    let pull = !args.modecfg_push;
    let mode_config = match args.modecfg.as_deref() {
        None => None,
        Some("client") => Some(ModeConfigRole::Client { pull }),
        Some("server") => {
            if args.pool.is_empty() {
                return Err("--modecfg server needs --pool".into());
            }
            Some(ModeConfigRole::Server {
                pull,
                pool: args.pool.clone(),
                dns: args.dns.clone(),
            })
        }
        Some(o) => return Err(format!("--modecfg {o}: client or server")),
    };
    let dpd_action = match args.dpd_action.as_deref() {
        None | Some("clear") => DpdAction::Clear,
        Some("restart") => DpdAction::Restart,
        Some(o) => return Err(format!("--dpd-action {o}: clear or restart")),
    };
    Ok(Some(V1Options {
        aggressive: args.aggressive,
        dpd_action,
        xauth,
        mode_config,
        ..V1Options::default()
    }))
}

/// Re-reads the options with an option file's lines in front of the
/// command line's, when `--config` is given.
fn with_file(args: Args, sub: &'static str) -> Result<Args, String> {
    let Some(path) = args.config.clone() else {
        return Ok(args);
    };
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let cmd = Args::augment_args(Command::new(sub)).args_override_self(true);
    let mut words = vec![sub.to_owned()];
    words.extend(conffile::to_args(&cmd, &path.display().to_string(), &text)?);
    // The command line after the subcommand's name, as given.
    let argv: Vec<String> = std::env::args().collect();
    let pos = argv
        .iter()
        .position(|a| a == sub)
        .map_or(argv.len(), |p| p + 1);
    words.extend(argv.into_iter().skip(pos));
    let m: ArgMatches = cmd.try_get_matches_from(words).map_err(|e| e.to_string())?;
    Args::from_arg_matches(&m).map_err(|e| e.to_string())
}

fn read(path: &Path) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))
}

/// The pre-shared key: the first line of the file or the environment
/// variable, as hex when it starts with `0x`.
fn psk(args: &Args) -> Result<Option<Secret>, String> {
    let text = match (&args.psk_file, &args.psk_env) {
        (Some(_), Some(_)) => return Err("give --psk-file or --psk-env, not both".into()),
        (Some(f), None) => {
            let raw = read(f)?;
            let s = String::from_utf8(raw).map_err(|_| format!("{}: not text", f.display()))?;
            s.lines().next().unwrap_or("").to_owned()
        }
        (None, Some(v)) => std::env::var(v).map_err(|_| format!("${v} is not set"))?,
        (None, None) => return Ok(None),
    };
    let bytes = match text.trim().strip_prefix("0x") {
        Some(h) => rike::hex::decode(h).ok_or("the pre-shared key's 0x hex is not hex")?,
        None => text.trim_end_matches(['\r', '\n']).as_bytes().to_vec(),
    };
    if bytes.is_empty() {
        return Err("the pre-shared key is empty".into());
    }
    Ok(Some(Secret::new(bytes)))
}

fn certs(path: &Path) -> Result<Vec<Vec<u8>>, String> {
    let data = read(path)?;
    let r = if cert::looks_like_pem(&data) {
        cert::pem_certificates(&data)
    } else {
        cert::certificate_der(&data).map(|d| vec![d])
    };
    r.map_err(|e| format!("{}: {e}", path.display()))
}

fn selectors(list: &[String], default: TrafficSelector) -> Result<Vec<TrafficSelector>, String> {
    if list.is_empty() {
        return Ok(vec![default]);
    }
    list.iter()
        .map(|s| TrafficSelector::parse(s).ok_or_else(|| format!("bad traffic selector `{s}`")))
        .collect()
}

/// What the driver needs: the engine configuration and the run plan.
#[derive(Debug)]
pub struct Setup {
    /// The engine's configuration.
    pub config: Config,
    /// Our address.
    pub local: IpAddr,
    /// Sockets, scripted actions, exit rules.
    pub plan: Plan,
}

/// Builds the configuration from the options.
pub fn setup(args: &Args, role: Role) -> Result<Setup, String> {
    let local = args
        .local
        .ok_or("--local IP is required (the address to bind and to put in NAT detection)")?;
    if role == Role::Initiator && args.remote.is_none() {
        return Err("--remote IP is required to connect".into());
    }
    if let Some(r) = args.remote {
        if r.is_ipv4() != local.is_ipv4() {
            return Err("--local and --remote are of different address families".into());
        }
    }
    let psk = psk(args)?;
    let local_auth = match (&args.cert, &args.key) {
        (Some(c), Some(k)) => {
            let chain = certs(c)?;
            let key = load_private_key(&read(k)?).map_err(|e| format!("{}: {e}", k.display()))?;
            LocalAuth::Signature {
                key: Arc::from(key),
                chain,
            }
        }
        (Some(_), None) | (None, Some(_)) => {
            return Err("--cert and --key go together".into());
        }
        (None, None) => LocalAuth::Psk(
            psk.clone()
                .ok_or("no credentials: give --psk-file/--psk-env, or --cert and --key")?,
        ),
    };
    let remote_auth = if args.ca.is_empty() {
        RemoteAuth::Psk(
            psk.clone()
                .ok_or("no pre-shared key to check the peer with (or give --ca)")?,
        )
    } else {
        let mut cas = Vec::new();
        for c in &args.ca {
            cas.extend(certs(c)?);
        }
        RemoteAuth::Certificate { cas }
    };
    let ike = ProposalSpec::parse_list(&args.ike, true).map_err(|e| format!("--ike: {e}"))?;
    let esp = ProposalSpec::parse_list(&args.esp, false).map_err(|e| format!("--esp: {e}"))?;
    if ike.is_empty() || esp.is_empty() {
        return Err("--ike and --esp need at least one proposal".into());
    }
    let remote_default = match args.remote {
        Some(r) => TrafficSelector::host(r),
        None => TrafficSelector::any(local.is_ipv6()),
    };
    let child = ChildConfig {
        name: args.child_name.clone(),
        esp,
        local_ts: selectors(&args.local_ts, TrafficSelector::host(local))?,
        remote_ts: selectors(&args.remote_ts, remote_default)?,
        mode: if args.transport {
            IpsecMode::Transport
        } else {
            IpsecMode::Tunnel
        },
        rekey_ms: args.child_rekey,
        lifetime_ms: args.child_lifetime,
    };
    let peer = PeerConfig {
        name: "peer".into(),
        remote: args.remote.map(|r| SocketAddr::new(r, args.remote_port)),
        local_id: args
            .local_id
            .as_deref()
            .map_or_else(|| Identity::from(local), Identity::parse),
        remote_id: args.remote_id.as_deref().map(Identity::parse),
        local_auth,
        remote_auth,
        ike,
        children: vec![child],
        ike_rekey_ms: args.ike_rekey,
        dpd_ms: args.dpd,
        fragmentation: !args.no_fragmentation,
        initial_contact: true,
        force_encap: args.encap || args.tcp,
        ikev1: v1_options(args)?,
    };
    if args.mtu < 68 {
        return Err("--mtu must be at least 68".into());
    }
    let mut config = Config::with_peers(vec![peer]);
    config.fragment_mtu = args.mtu;
    let timeout = args.timeout.or(args.once.then_some(30_000));
    Ok(Setup {
        config,
        local,
        plan: Plan {
            role,
            port: args.port,
            once: args.once,
            timeout_ms: timeout,
            linger_ms: args.linger,
            keylog: args.keylog.clone(),
            rekey_child_after: args.rekey_child_after,
            rekey_ike_after: args.rekey_ike_after,
            delete_child_after: args.delete_child_after,
            delete_after: args.delete_after,
            verbose: args.verbose,
            tcp: args.tcp,
        },
    })
}

/// `rike connect`.
pub fn connect(args: Args) -> Result<(), String> {
    let args = with_file(args, "connect")?;
    udp_driver::run(setup(&args, Role::Initiator)?)
}

/// `rike listen`.
pub fn listen(args: Args) -> Result<(), String> {
    let args = with_file(args, "listen")?;
    udp_driver::run(setup(&args, Role::Responder)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Args {
        Args {
            local: Some("10.99.0.1".parse().unwrap()),
            remote: Some("10.99.0.2".parse().unwrap()),
            port: 500,
            remote_port: 500,
            ike: DEFAULT_IKE.into(),
            esp: DEFAULT_ESP.into(),
            child_name: "net".into(),
            mtu: 1280,
            psk_env: Some("RIKE_TEST_PSK_CONNECT".into()),
            ..Args::default()
        }
    }

    #[test]
    fn options_become_a_configuration() {
        std::env::set_var("RIKE_TEST_PSK_CONNECT", "secret words");
        let mut a = base();
        a.local_ts = vec!["10.1.0.0/16".into()];
        a.remote_id = Some("sw.test".into());
        a.rekey_child_after = Some(1500);
        let s = setup(&a, Role::Initiator).unwrap();
        let p = &s.config.peers[0];
        assert_eq!(p.remote, Some("10.99.0.2:500".parse().unwrap()));
        assert_eq!(p.local_id, Identity::parse("10.99.0.1"));
        assert_eq!(p.remote_id, Some(Identity::Fqdn("sw.test".into())));
        assert!(matches!(&p.local_auth, LocalAuth::Psk(k) if k.expose() == b"secret words"));
        assert_eq!(
            p.children[0].local_ts,
            [TrafficSelector::parse("10.1.0.0/16").unwrap()]
        );
        assert_eq!(
            p.children[0].remote_ts,
            [TrafficSelector::parse("10.99.0.2").unwrap()]
        );
        assert_eq!(s.plan.rekey_child_after, Some(1500));
        assert_eq!(s.plan.timeout_ms, None);
    }

    #[test]
    fn bad_options_are_named() {
        std::env::set_var("RIKE_TEST_PSK_CONNECT", "secret words");
        let mut a = base();
        a.esp = "aes256gcm16-sha256".into();
        assert!(setup(&a, Role::Initiator).unwrap_err().starts_with("--esp"));
        let mut a = base();
        a.remote = None;
        assert!(setup(&a, Role::Initiator).is_err());
        assert!(setup(&a, Role::Responder).is_ok());
        let mut a = base();
        a.psk_env = Some("RIKE_TEST_PSK_UNSET_VARIABLE".into());
        assert!(setup(&a, Role::Initiator).unwrap_err().contains("not set"));
        let mut a = base();
        a.remote_ts = vec!["10.0.0.0/33".into()];
        assert!(setup(&a, Role::Initiator)
            .unwrap_err()
            .contains("traffic selector"));
        assert_eq!(secs("1.5"), Ok(1500));
        assert!(secs("-1").is_err());
        assert!(secs("nan").is_err());
    }

    #[test]
    fn ikev1_options_become_v1_options() {
        std::env::set_var("RIKE_TEST_PSK_CONNECT", "secret words");
        std::env::set_var("RIKE_TEST_XAUTH_PW", "pw");
        let s = setup(&base(), Role::Initiator).unwrap();
        assert!(s.config.peers[0].ikev1.is_none());
        let mut a = base();
        a.ikev1 = true;
        a.aggressive = true;
        a.xauth = Some("client".into());
        a.xauth_user = Some("carol".into());
        a.xauth_password_env = Some("RIKE_TEST_XAUTH_PW".into());
        a.modecfg = Some("client".into());
        a.dpd_action = Some("restart".into());
        let s = setup(&a, Role::Initiator).unwrap();
        let o = s.config.peers[0].ikev1.clone().unwrap();
        assert!(o.aggressive);
        assert_eq!(o.dpd_action, DpdAction::Restart);
        assert!(
            matches!(o.xauth, Some(XauthRole::Client { ref user, password: Some(ref p) })
                if user == "carol" && p.expose() == b"pw")
        );
        assert!(matches!(
            o.mode_config,
            Some(ModeConfigRole::Client { pull: true })
        ));
        // A server needs its pool; a role is client or server.
        a.modecfg = Some("server".into());
        assert!(setup(&a, Role::Responder).unwrap_err().contains("--pool"));
        a.pool = vec!["10.73.0.1".parse().unwrap()];
        a.modecfg_push = true;
        let s = setup(&a, Role::Responder).unwrap();
        assert!(matches!(
            s.config.peers[0].ikev1.as_ref().unwrap().mode_config,
            Some(ModeConfigRole::Server { pull: false, .. })
        ));
        a.xauth = Some("both".into());
        assert!(setup(&a, Role::Responder).unwrap_err().contains("--xauth"));
        let mut a = base();
        a.xauth = Some("client".into());
        assert!(setup(&a, Role::Initiator).unwrap_err().contains("--ikev1"));
    }
}
