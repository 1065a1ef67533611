//! The option file of `rike connect` / `rike listen`: one `name = value`
//! per line, where `name` is a long option without its dashes
//! (`remote-id = sw.test`, `esp = aes256gcm16`). `#` starts a comment;
//! blank lines are ignored; values may be quoted with `"`. A switch takes
//! `yes`/`no` (or `true`/`false`). A list option (`local-ts`, `ca`) may
//! appear more than once. Options on the command line override the file's
//! (lists add to it).

use clap::Command;

/// The file's lines as command-line words, checked against `cmd`'s
/// options. Errors name the line.
pub fn to_args(cmd: &Command, path: &str, text: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    for (n, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let at = |why: String| format!("{path}:{}: {why}", n + 1);
        let (name, value) = line
            .split_once('=')
            .ok_or_else(|| at("expected `name = value`".into()))?;
        let name = name.trim();
        let mut value = value.trim();
        if value.len() >= 2 && value.starts_with('"') && value.ends_with('"') {
            value = &value[1..value.len() - 1];
        }
        if name == "config" {
            return Err(at("an option file cannot name another".into()));
        }
        let arg = cmd
            .get_arguments()
            .find(|a| a.get_long() == Some(name))
            .ok_or_else(|| at(format!("unknown option `{name}`")))?;
        if arg.get_action().takes_values() {
            out.push(format!("--{name}"));
            out.push(value.to_owned());
        } else {
            match value.to_ascii_lowercase().as_str() {
                "yes" | "true" | "1" => out.push(format!("--{name}")),
                "no" | "false" | "0" => {}
                _ => return Err(at(format!("`{name}` takes yes or no"))),
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::{Arg, ArgAction};

    fn cmd() -> Command {
        Command::new("t")
            .arg(Arg::new("esp").long("esp"))
            .arg(Arg::new("ts").long("local-ts").action(ArgAction::Append))
            .arg(Arg::new("once").long("once").action(ArgAction::SetTrue))
    }

    #[test]
    fn lines_become_words() {
        let a = to_args(
            &cmd(),
            "f",
            "# c\n\nesp = \"aes128gcm16\"\nlocal-ts=10.0.0.0/8\nlocal-ts = 10.1.0.0/16\nonce = yes\n",
        )
        .unwrap();
        assert_eq!(
            a,
            [
                "--esp",
                "aes128gcm16",
                "--local-ts",
                "10.0.0.0/8",
                "--local-ts",
                "10.1.0.0/16",
                "--once"
            ]
        );
        assert_eq!(
            to_args(&cmd(), "f", "once = no").unwrap(),
            Vec::<String>::new()
        );
        assert_eq!(
            to_args(&cmd(), "f", "\nbogus = 1").unwrap_err(),
            "f:2: unknown option `bogus`"
        );
        assert!(to_args(&cmd(), "f", "esp").is_err());
        assert!(to_args(&cmd(), "f", "once = maybe").is_err());
    }
}
