//! `sudo guard lock`: the root-owned layer in one command. /etc/guard/config.yaml takes the
//! invoking user's passphrase hash and signing key, `require_passphrase: true` and
//! `locked: true`: deleting or replacing the user's passphrase file then changes nothing,
//! grants are checked against the machine's key, and the user's layer may only tighten.

use crate::error::{Error, Result};
use crate::paths::Dirs;

pub fn run(dirs: &Dirs) -> Result {
    // Debug builds write to the test suite's stand-in for /etc/guard, as any user.
    let stand_in = cfg!(debug_assertions) && std::env::var_os("GUARD_SYSTEM_DIR").is_some();
    if !nix::unistd::geteuid().is_root() && !stand_in {
        return Err(Error::refused(
            "lock: refused: /etc/guard must be root's; run `sudo guard lock`",
        ));
    }
    // The passphrase is the human's who ran sudo, set as themselves beforehand.
    let uid = std::env::var("SUDO_UID")
        .ok()
        .and_then(|u| u.parse().ok())
        .map_or_else(nix::unistd::getuid, nix::unistd::Uid::from_raw);
    let file = crate::paths::home_of(uid).join(".config/guard/passphrase");
    let text = std::fs::read_to_string(&file).map_err(|e| {
        Error::failed(format!(
            "lock: cannot read {} ({e}); set a passphrase first, as yourself: guard passphrase set",
            file.display()
        ))
    })?;
    let mut lines = text.lines();
    let hash = lines.next().unwrap_or("").trim();
    let key = lines.next().unwrap_or("").trim();
    if !crate::approval::passphrase::valid_hash(hash)
        || crate::approval::seal::PublicKey::from_line(key).is_none()
    {
        return Err(Error::failed(format!(
            "lock: {} holds no usable passphrase and key; run `guard passphrase set` as yourself",
            file.display()
        )));
    }
    let path = dirs.system_config();
    let existing = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => {
            return Err(Error::failed(format!(
                "lock: reading {}: {e}",
                path.display()
            )));
        }
    };
    let config = crate::config::load_checked(dirs)
        .map_err(|d| Error::failed(format!("lock: fix the config first: {d}")))?;
    if config.system_passphrase_hash.is_some() || config.locked {
        return Err(Error::failed(format!(
            "lock: {} already holds a passphrase or `locked`; edit it as root to change them",
            path.display()
        )));
    }
    let mut text = existing;
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    text.push_str(&format!(
        "# Written by `guard lock`: the machine's passphrase (the hash and the public key of\n\
         # the key it derives), required for every approval; and the user's rule layer may\n\
         # only tighten.\n\
         passphrase_hash: \"{hash}\"\n\
         passphrase_key: \"{key}\"\n\
         require_passphrase: true\n\
         locked: true\n"
    ));
    std::fs::create_dir_all(&dirs.system)
        .map_err(|e| Error::failed(format!("lock: creating {}: {e}", dirs.system.display())))?;
    crate::state::write_atomically(&path, text.as_bytes())?;
    // Readable by everyone (the shims read it), writable by root alone.
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644))
        .map_err(|e| Error::failed(format!("lock: {}: {e}", path.display())))?;
    println!(
        "locked: {} now requires the passphrase for every approval; your own rules may only tighten",
        path.display()
    );
    Ok(())
}
