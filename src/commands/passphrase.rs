//! `guard passphrase set|clear`. Changing or clearing needs the old passphrase; the input is
//! read without echo from the terminal and never stored or logged, only its argon2 hash.

use crate::approval::passphrase::{self, Source};
use crate::approval::prompt::{Answer, Tty};
use crate::cli::PassphraseAction;
use crate::config;
use crate::error::{Error, Result};
use crate::paths::Dirs;
use std::time::Duration;

pub fn run(dirs: &Dirs, action: PassphraseAction) -> Result {
    let config =
        config::load_checked(dirs).map_err(|d| Error::failed(format!("passphrase: {d}")))?;
    if config.system_passphrase_hash.is_some() {
        return Err(Error::failed(
            "passphrase: it is managed in /etc/guard/config.yaml (passphrase_hash); change it there",
        ));
    }
    let Ok(mut tty) = Tty::open() else {
        return Err(Error::refused(
            "passphrase: refused: this needs a human at an interactive terminal",
        ));
    };
    let no_answer = || Error::refused("passphrase: no answer; nothing changed");
    let timeout = Duration::from_secs(120);
    let ask = |tty: &mut Tty, prompt: &str| -> Result<Option<String>> {
        Ok(match tty.ask(prompt, false, timeout)? {
            Answer::Line(l) => Some(l),
            _ => None,
        })
    };
    match passphrase::source(dirs, &config) {
        Source::Hash(hash, _) => {
            let old = ask(&mut tty, "Current passphrase: ")?.ok_or_else(no_answer)?;
            if !passphrase::verify(&hash, &old) {
                return Err(Error::refused(
                    "passphrase: wrong passphrase; nothing changed",
                ));
            }
        }
        Source::Broken(why) if action == PassphraseAction::Clear => {
            return Err(Error::failed(format!(
                "passphrase: {why}; remove {} by hand to clear it",
                passphrase::user_file(dirs).display()
            )));
        }
        // The first passphrase is the human's to choose: an agent that set it would lock the
        // human out of their own approvals.
        Source::None if action == PassphraseAction::Set => {
            if let Some(agent) = crate::agent::session() {
                return Err(Error::refused(format!(
                    "passphrase: refused: this runs inside an agent session ({agent}); set the \
                     first passphrase from a terminal of your own"
                )));
            }
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
                Err(e) => {
                    return Err(Error::failed(format!(
                        "passphrase: removing {}: {e}",
                        file.display()
                    )));
                }
            }
        }
        PassphraseAction::Set => {
            let new = ask(&mut tty, "New passphrase: ")?.ok_or_else(no_answer)?;
            if new.chars().count() < 8 {
                return Err(Error::failed(
                    "passphrase: use at least 8 characters; nothing changed",
                ));
            }
            let again = ask(&mut tty, "Repeat it: ")?.ok_or_else(no_answer)?;
            if new != again {
                return Err(Error::failed(
                    "passphrase: the two entries differ; nothing changed",
                ));
            }
            let (_, key) = crate::approval::seal::PrivateKey::create(&new)?;
            passphrase::store(dirs, &passphrase::hash(&new)?, &key)?;
            println!("passphrase set: approvals now require it");
        }
    }
    Ok(())
}
