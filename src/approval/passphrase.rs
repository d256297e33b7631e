//! The optional passphrase: stored only as a salted argon2 hash, compared in constant time
//! (argon2's verifier), never logged. With one set, an agent driving a pseudo-terminal cannot
//! approve anything: it would have to know the passphrase.

use crate::config::Config;
use crate::paths::Dirs;
use anyhow::Context;
use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier, phc::PasswordHash};
use std::path::PathBuf;

/// Where the passphrase a human must type comes from.
#[derive(Debug)]
pub enum Source {
    /// No passphrase is set and none is required: a typed `yes` approves.
    None,
    /// Hash (PHC string) and where it came from.
    Hash(String, String),
    /// One is required (or was set) but cannot be used: approvals refuse, never fall back.
    Broken(String),
}

pub fn user_file(dirs: &Dirs) -> PathBuf {
    dirs.config.join("passphrase")
}

/// The passphrase in force: /etc/guard's hash, else the user's; `require_passphrase` turns a
/// missing or corrupt one into a refusal.
pub fn source(dirs: &Dirs, config: &Config) -> Source {
    if let Some(hash) = &config.system_passphrase_hash {
        return checked(hash.trim(), dirs.system_config().display().to_string());
    }
    let file = user_file(dirs);
    match std::fs::read_to_string(&file) {
        Ok(text) => checked(text.trim(), file.display().to_string()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if config.require_passphrase {
                Source::Broken(format!(
                    "a passphrase is required (/etc/guard/config.yaml) but none is set ({} is missing)",
                    file.display()
                ))
            } else {
                Source::None
            }
        }
        Err(e) => Source::Broken(format!("cannot read {}: {e}", file.display())),
    }
}

fn checked(hash: &str, from: String) -> Source {
    match PasswordHash::new(hash) {
        Ok(_) => Source::Hash(hash.to_string(), from),
        Err(e) => Source::Broken(format!("the passphrase hash in {from} is corrupt ({e})")),
    }
}

pub fn verify(hash: &str, input: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| {
            Argon2::default()
                .verify_password(input.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

pub fn hash(passphrase: &str) -> anyhow::Result<String> {
    Argon2::default()
        .hash_password(passphrase.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("hashing the passphrase: {e}"))
}

pub fn store(dirs: &Dirs, hash: &str) -> anyhow::Result<()> {
    std::fs::create_dir_all(&dirs.config)
        .with_context(|| format!("creating {}", dirs.config.display()))?;
    crate::state::write_atomically(&user_file(dirs), format!("{hash}\n").as_bytes())
}
