//! `guard disable ID…`: switch rules off, the one way that counts once a passphrase is set.
//! The human types the passphrase; each entry is sealed with the key it unlocks and written
//! to `~/.config/guard/disabled.yaml`. Without a passphrase the entries are written unsealed
//! (as a hand edit would be) and shown so.

use crate::approval::passphrase_for_loosening;
use crate::approval::seal::disable_message;
use crate::error::{Error, Result};
use crate::layers::{Scope, load};
use crate::paths::Dirs;

pub fn run(dirs: &Dirs, ids: &[String]) -> Result {
    let (rules, config) = load(dirs, Scope::All, crate::state::now())?;
    if config.locked {
        return Err(Error::refused(
            "disable: refused: the machine is locked; only /etc/guard/config.yaml (root) may disable a rule",
        ));
    }
    for id in ids {
        if id != crate::rules::model::CONFIRM_TIER
            && !rules
                .packs
                .iter()
                .flat_map(|p| &p.rules)
                .any(|r| r.id == id)
        {
            return Err(Error::usage(format!(
                "disable: no rule `{}` is loaded (see `guard rules`)",
                crate::display::escape(id)
            )));
        }
    }
    let signer = passphrase_for_loosening(dirs, &config)
        .map_err(|why| Error::refused(format!("disable: refused: {why}")))?;
    let path = dirs.sealed_disables();
    let mut text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            "# Written by `guard disable`: rules switched off, each sealed with the passphrase's key.\n"
                .to_string()
        }
        Err(e) => return Err(Error::failed(format!("disable: reading {}: {e}", path.display()))),
    };
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    for id in ids {
        // Rule ids are letters, digits, `.`, `-` and `_` (the compiler checks), or
        // `@confirm-tier`, which YAML needs quoted.
        match &signer {
            Some(key) => text.push_str(&format!(
                "- {{id: '{id}', seal: {}}}\n",
                key.seal(&disable_message(id))
            )),
            None => text.push_str(&format!("- '{id}'\n")),
        }
    }
    std::fs::create_dir_all(&dirs.config)
        .map_err(|e| Error::failed(format!("disable: creating {}: {e}", dirs.config.display())))?;
    crate::state::write_atomically(&path, text.as_bytes())?;
    crate::audit::record_loosening(&dirs.state, signer.is_some())?;
    for id in ids {
        match signer {
            Some(_) => println!("disabled {id} (sealed)"),
            None => println!(
                "disabled {id} (unsealed: no passphrase is set, so anything running as you could do this too)"
            ),
        }
    }
    Ok(())
}
