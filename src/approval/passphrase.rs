//! The optional passphrase: stored only as a salted argon2 hash, compared in constant time
//! (argon2's verifier), never logged. With one set, an agent driving a pseudo-terminal cannot
//! approve anything: it would have to know the passphrase.

use super::seal::PublicKey;
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
        Ok(text) => checked(
            text.lines().next().unwrap_or("").trim(),
            file.display().to_string(),
        ),
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

/// Whether `hash` is a PHC string guard can verify against.
pub fn valid_hash(hash: &str) -> bool {
    PasswordHash::new(hash).is_ok()
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

/// The passphrase's hash and its signing key's public half, in the user's file.
pub fn store(dirs: &Dirs, hash: &str, key: &PublicKey) -> anyhow::Result<()> {
    std::fs::create_dir_all(&dirs.config)
        .with_context(|| format!("creating {}", dirs.config.display()))?;
    let text = format!("{hash}\n{}\n", key.to_line());
    crate::state::write_atomically(&user_file(dirs), text.as_bytes())
}

/// The public key seals are checked against: /etc/guard's when the machine's passphrase is in
/// force, else the user's, stored beside the hash. `Ok(None)`: no passphrase, so nothing is
/// sealed. An error: a passphrase without a usable key, which refuses what needs a seal.
pub fn public_key(dirs: &Dirs, config: &Config) -> Result<Option<PublicKey>, String> {
    if config.system_passphrase_hash.is_some() {
        return match &config.system_passphrase_key {
            Some(line) => PublicKey::from_line(line).map(Some).ok_or_else(|| {
                format!(
                    "the passphrase_key in {} is corrupt",
                    dirs.system_config().display()
                )
            }),
            None => Err(format!(
                "{} sets passphrase_hash without passphrase_key; run `sudo guard lock` again",
                dirs.system_config().display()
            )),
        };
    }
    let file = user_file(dirs);
    match std::fs::read_to_string(&file) {
        Ok(text) => match text.lines().nth(1) {
            Some(line) => PublicKey::from_line(line)
                .map(Some)
                .ok_or_else(|| format!("the signing key in {} is corrupt", file.display())),
            None => Err(format!(
                "{} holds no signing key (set before guard signed approvals); run `guard passphrase set` again",
                file.display()
            )),
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("cannot read {}: {e}", file.display())),
    }
}
