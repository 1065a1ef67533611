//! `rike`: the command-line front end.
//!
//! `rike` with no arguments dissects an embedded sample capture;
//! `rike dissect [--json] FILE…` dissects pcap/pcapng files;
//! `rike connect` / `rike listen` run IKEv2 (or, with `--ikev1`, IKEv1) over UDP or RFC 8229 TCP.

mod conffile;
mod connect;
mod dissect_cmd;
mod json;
mod keylog;
mod tcp;
mod text;
mod udp_driver;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// ISAKMP / IKEv1 / IKEv2 toolkit.
#[derive(Parser, Debug)]
#[command(name = "rike", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Dissect the IKE traffic of pcap/pcapng captures (UDP 500, UDP 4500
    /// with NAT-T, RFC 8229 TCP). Without FILE, an embedded sample.
    Dissect(dissect_cmd::Args),
    /// Set up an IKEv2 (or IKEv1) SA with a peer (initiator) over UDP 500/4500.
    Connect(connect::Args),
    /// Wait for IKEv2 (or IKEv1) peers (responder) on UDP 500/4500.
    Listen(connect::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Some(Command::Dissect(args)) => dissect_cmd::run(&args),
        Some(Command::Connect(args)) => connect::connect(args),
        Some(Command::Listen(args)) => connect::listen(args),
        None => dissect_cmd::run(&dissect_cmd::Args::default()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.is_empty() => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("rike: {e}");
            ExitCode::from(1)
        }
    }
}
