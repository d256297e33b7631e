//! Where guard keeps things. What a decision trusts cannot be moved by the environment: the
//! user's own rules, config and passphrase, and the grants, pending requests and audit log, live
//! under the account's home from the password database, not `$HOME` or `XDG_*`; `/etc/guard`
//! holds the machine's policy. A variable may add a rules layer (`$XDG_CONFIG_HOME/guard`),
//! never drop the user's own. Debug builds (the test suite) may relocate the home and
//! `/etc/guard` (`GUARD_HOME`, `GUARD_SYSTEM_DIR`); an installed release build never does.

use std::os::unix::ffi::OsStrExt as _;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone)]
pub struct Dirs {
    /// `/etc/guard`: root-owned rules and config an agent running as the user cannot change.
    pub system: PathBuf,
    /// `~/.config/guard` of the account: the user's rules, config.yaml and passphrase.
    pub config: PathBuf,
    /// `$XDG_CONFIG_HOME/guard` when it names another directory: more rules, added to the
    /// user's own. Its config.yaml is not read: a variable must not switch a rule off.
    pub extra_config: Option<PathBuf>,
    /// `$XDG_DATA_HOME/guard`: the default shim directory.
    pub data: PathBuf,
    /// `~/.local/state/guard` of the account: pending requests, grants, the audit log.
    pub state: PathBuf,
    /// `$XDG_CACHE_HOME/guard`: the cache of user rule files (`layers::index`,
    /// `layers::pack_cache`), which only ever stands in for a file at the same stat.
    pub cache: PathBuf,
}

impl Dirs {
    pub fn from_env() -> Dirs {
        let home = account_home();
        // The XDG spec: a relative value is invalid and must be ignored.
        let xdg = |var: &str| {
            std::env::var_os(var)
                .map(PathBuf::from)
                .filter(|p| p.is_absolute())
        };
        let config = home.join(".config/guard");
        let extra_config = xdg("XDG_CONFIG_HOME")
            .map(|d| d.join("guard"))
            .filter(|d| !same_dir(d, &config));
        Dirs {
            system: system_dir(),
            config,
            extra_config,
            data: xdg("XDG_DATA_HOME")
                .unwrap_or_else(|| home.join(".local/share"))
                .join("guard"),
            state: home.join(".local/state/guard"),
            cache: xdg("XDG_CACHE_HOME")
                .unwrap_or_else(|| home.join(".cache"))
                .join("guard"),
        }
    }

    /// Every directory under `root`: for benchmarks and tests that must see no real layers.
    pub fn rooted(root: &Path) -> Dirs {
        Dirs {
            system: root.join("etc"),
            config: root.join("config"),
            extra_config: None,
            data: root.join("data"),
            state: root.join("state"),
            cache: root.join("cache"),
        }
    }

    pub fn system_rules(&self) -> PathBuf {
        self.system.join("rules")
    }

    /// The user's rule directories: their own, then the one a variable added.
    pub fn user_rules(&self) -> Vec<PathBuf> {
        std::iter::once(&self.config)
            .chain(&self.extra_config)
            .map(|d| d.join("rules"))
            .collect()
    }

    /// Which files of the rule directory `dir` name which tools: a cache, rebuilt whenever
    /// it is unusable. One per directory (named by a hash of its path).
    pub fn rules_index(&self, dir: &Path) -> PathBuf {
        self.cache
            .join(format!("rules-index-{:016x}", path_hash(dir)))
    }

    /// Compiled user rule files (`layers::pack_cache`) of the rule directory `dir`.
    pub fn compiled_packs(&self, dir: &Path) -> PathBuf {
        self.cache.join(format!("packs-{:016x}", path_hash(dir)))
    }

    /// `/etc`, where agents keep their managed settings (the parent of `system`).
    pub fn etc(&self) -> PathBuf {
        self.system
            .parent()
            .map_or_else(|| PathBuf::from("/etc"), Path::to_path_buf)
    }

    pub fn system_config(&self) -> PathBuf {
        self.system.join("config.yaml")
    }

    pub fn user_config(&self) -> PathBuf {
        self.config.join("config.yaml")
    }

    /// The `disable` entries `guard disable` sealed (`config::read_sealed`).
    pub fn sealed_disables(&self) -> PathBuf {
        self.config.join("disabled.yaml")
    }

    /// The shim directory: `--dir`, else `$GUARD_SHIM_DIR`, else `$XDG_DATA_HOME/guard/shims`.
    pub fn shim_dir(&self, flag: Option<PathBuf>) -> PathBuf {
        flag.or_else(|| std::env::var_os("GUARD_SHIM_DIR").map(PathBuf::from))
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or_else(|| self.data.join("shims"))
    }
}

/// A name for a cache file per directory; stable for a given binary, which is all a cache
/// needs (a new one is only rebuilt).
fn path_hash(dir: &Path) -> u64 {
    use std::hash::{Hash as _, Hasher as _};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    dir.as_os_str().as_bytes().hash(&mut h);
    h.finish()
}

/// One directory by two names (a symlink): its rules must not load twice. Two stats, not a
/// `canonicalize` of each: every shim call with `XDG_CONFIG_HOME` set asks.
fn same_dir(a: &Path, b: &Path) -> bool {
    use std::os::unix::fs::MetadataExt as _;
    a == b
        || matches!(
            (std::fs::metadata(a), std::fs::metadata(b)),
            (Ok(x), Ok(y)) if (x.dev(), x.ino()) == (y.dev(), y.ino())
        )
}

/// `/etc/guard` holds the machine's policy. Moving it would let an agent drop the root-owned
/// rules and `require_passphrase`, so only debug builds (the test suite) honour
/// `GUARD_SYSTEM_DIR`; an installed release build always reads `/etc/guard`.
fn system_dir() -> PathBuf {
    if cfg!(debug_assertions)
        && let Some(dir) = std::env::var_os("GUARD_SYSTEM_DIR")
    {
        return PathBuf::from(dir);
    }
    PathBuf::from("/etc/guard")
}

/// The account's home directory from the password database: `$HOME` is the caller's to set,
/// and a home an agent could point elsewhere would move the passphrase, the grants and the
/// user's rules with it. `/etc/passwd` is read first (a static binary's NSS lookup loads
/// the shared C library: far too slow for every call); accounts only a directory service
/// knows go through NSS; `$HOME` only if the account is in neither. Debug builds let the test
/// suite set it (`GUARD_HOME`).
pub fn account_home() -> PathBuf {
    home_of(nix::unistd::getuid())
}

/// `account_home` for the account `uid`.
pub fn home_of(uid: nix::unistd::Uid) -> PathBuf {
    if cfg!(debug_assertions)
        && let Some(dir) = std::env::var_os("GUARD_HOME")
    {
        return PathBuf::from(dir);
    }
    std::fs::read("/etc/passwd")
        .ok()
        .and_then(|passwd| home_in_passwd(&passwd, uid.as_raw()))
        .or_else(|| {
            nix::unistd::User::from_uid(uid)
                .ok()
                .flatten()
                .map(|u| u.dir)
        })
        .or_else(|| std::env::var_os("HOME").map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from("/"))
}

/// The home directory of `uid` in the text of `/etc/passwd` (`name:pw:uid:gid:gecos:home:shell`).
fn home_in_passwd(passwd: &[u8], uid: u32) -> Option<PathBuf> {
    let want = uid.to_string();
    passwd.split(|&b| b == b'\n').find_map(|line| {
        let fields: Vec<&[u8]> = line.split(|&b| b == b':').collect();
        (fields.len() >= 7 && fields[2] == want.as_bytes() && !fields[5].is_empty())
            .then(|| PathBuf::from(std::ffi::OsStr::from_bytes(fields[5])))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_home_comes_from_the_accounts_line() {
        let passwd = b"root:x:0:0:root:/root:/bin/bash\n\
                       # not a line\n\
                       dev:x:1000:1000:Dev,,,:/home/dev:/bin/zsh\n\
                       other:x:10000:10000::/home/other:/bin/sh";
        assert_eq!(
            home_in_passwd(passwd, 1000),
            Some(PathBuf::from("/home/dev"))
        );
        assert_eq!(home_in_passwd(passwd, 0), Some(PathBuf::from("/root")));
        assert_eq!(
            home_in_passwd(passwd, 10000),
            Some(PathBuf::from("/home/other"))
        );
        assert_eq!(home_in_passwd(passwd, 100), None);
        assert_eq!(home_in_passwd(b"", 0), None);
    }
}
