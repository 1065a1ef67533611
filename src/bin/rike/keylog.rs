//! `--keylog DIR`: the keys of every SA, appended as they are made, in
//! three files a Wireshark profile directory (or `rike dissect --keys
//! DIR`) reads:
//!
//! * `ikev2_decryption_table`, `ikev1_decryption_table`: Wireshark's
//!   IKE tables;
//! * `esp_sa`: Wireshark's ESP SA table (with a `preferences` file that
//!   turns ESP decryption on, so `WIRESHARK_CONFIG_DIR=DIR tshark …`
//!   decrypts both);
//! * `rike.keys`: rike's own key log (IKE and ESP lines).

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use rike::engine::{
    esp_key_log_lines, esp_sa_lines, ikev1_table_line, ikev2_table_line, ChildSaInfo, IkeKeyRecord,
    Ikev1KeyRecord,
};

/// Appends key lines to the files of one directory.
pub struct KeyLog {
    dir: PathBuf,
}

impl KeyLog {
    /// Creates `dir` if needed, and its `preferences` unless there is one.
    pub fn open(dir: &Path) -> Result<KeyLog, String> {
        fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let prefs = dir.join("preferences");
        if !prefs.exists() {
            fs::write(&prefs, "esp.enable_encryption_decode: TRUE\n")
                .map_err(|e| format!("{}: {e}", prefs.display()))?;
        }
        Ok(KeyLog {
            dir: dir.to_path_buf(),
        })
    }

    fn append(&self, file: &str, lines: &[String]) -> Result<(), String> {
        let path = self.dir.join(file);
        let mut opts = OpenOptions::new();
        opts.create(true).append(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let mut f = opts
            .open(&path)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        let mut text = lines.join("\n");
        text.push('\n');
        f.write_all(text.as_bytes())
            .map_err(|e| format!("{}: {e}", path.display()))
    }

    /// An IKE SA's keys. A warning when Wireshark cannot name its
    /// algorithms (rike's own log still has them).
    pub fn ike(&self, rec: &IkeKeyRecord) -> Result<Option<String>, String> {
        self.append("rike.keys", &[rec.key_log_line()])?;
        match ikev2_table_line(rec) {
            Ok(line) => {
                self.append("ikev2_decryption_table", &[line])?;
                Ok(None)
            }
            Err(e) => Ok(Some(format!("ikev2_decryption_table: {e}"))),
        }
    }

    /// An IKEv1 ISAKMP SA's keys (`ikev1_decryption_table`).
    pub fn ikev1(&self, rec: &Ikev1KeyRecord) -> Result<Option<String>, String> {
        self.append("rike.keys", &[rec.key_log_line()])?;
        self.append("ikev1_decryption_table", &[ikev1_table_line(rec)])?;
        Ok(None)
    }

    /// A Child SA's keys, both directions.
    pub fn child(&self, info: &ChildSaInfo) -> Result<Option<String>, String> {
        self.append("rike.keys", &esp_key_log_lines(info))?;
        match esp_sa_lines(info) {
            Ok(lines) => {
                self.append("esp_sa", &lines)?;
                Ok(None)
            }
            Err(e) => Ok(Some(format!("esp_sa: {e}"))),
        }
    }
}
