//! `guard passphrase set|clear`. Changing or clearing needs the old passphrase; the input is
//! read without echo from the terminal and never stored or logged, only its argon2 hash.

use crate::approval::passphrase::{self, Source};
use crate::approval::prompt::{Answer, Tty};
use crate::cli::PassphraseAction;
use crate::config::load_config;
use crate::exit;
use crate::paths::Dirs;
use std::time::Duration;

pub fn run(dirs: &Dirs, action: PassphraseAction) -> anyhow::Result<u8> {
    let mut diags = Vec::new();
    let config = load_config(dirs, &mut diags);
    if let Some(d) = diags.iter().find(|d| d.is_error()) {
        anyhow::bail!("{d}");
    }
    if config.system_passphrase_hash.is_some() {
        eprintln!(
            "guard: passphrase: it is managed in /etc/guard/config.yaml (passphrase_hash); change it there"
        );
        return Ok(exit::FAILURE);
    }
    let Ok(mut tty) = Tty::open() else {
        eprintln!("guard: passphrase: refused: this needs a human at an interactive terminal");
        return Ok(exit::REFUSED);
    };
    let timeout = Duration::from_secs(120);
    let ask = |tty: &mut Tty, prompt: &str| -> anyhow::Result<Option<String>> {
        tty.write(prompt)?;
        Ok(match tty.read_line(false, timeout)? {
            Answer::Line(l) => Some(l),
            _ => None,
        })
    };
    match passphrase::source(dirs, &config) {
        Source::Hash(hash, _) => {
            let Some(old) = ask(&mut tty, "Current passphrase: ")? else {
                return Ok(exit::REFUSED);
            };
            if !passphrase::verify(&hash, &old) {
                eprintln!("guard: passphrase: wrong passphrase; nothing changed");
                return Ok(exit::REFUSED);
            }
        }
        Source::Broken(why) if action == PassphraseAction::Clear => {
            eprintln!(
                "guard: passphrase: {why}; remove {} by hand to clear it",
                passphrase::user_file(dirs).display()
            );
            return Ok(exit::FAILURE);
        }
        Source::Broken(_) | Source::None => {}
    }
    match action {
        PassphraseAction::Clear => {
            let file = passphrase::user_file(dirs);
            match std::fs::remove_file(&file) {
                Ok(()) => println!("passphrase cleared"),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    println!("no passphrase was set")
                }
                Err(e) => anyhow::bail!("removing {}: {e}", file.display()),
            }
        }
        PassphraseAction::Set => {
            let Some(new) = ask(&mut tty, "New passphrase: ")? else {
                return Ok(exit::REFUSED);
            };
            if new.chars().count() < 8 {
                eprintln!("guard: passphrase: use at least 8 characters; nothing changed");
                return Ok(exit::FAILURE);
            }
            let Some(again) = ask(&mut tty, "Repeat it: ")? else {
                return Ok(exit::REFUSED);
            };
            if new != again {
                eprintln!("guard: passphrase: the two entries differ; nothing changed");
                return Ok(exit::FAILURE);
            }
            passphrase::store(dirs, &passphrase::hash(&new)?)?;
            println!("passphrase set: approvals now require it");
        }
    }
    Ok(0)
}
