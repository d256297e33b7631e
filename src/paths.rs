//! Where guard keeps things: XDG directories for the user, /etc/guard for the machine.
//! The environment may relocate the user's directories (tests do); it cannot switch rules off.

use std::path::PathBuf;

#[derive(Debug, Clone)]
pub struct Dirs {
    /// `/etc/guard`: root-owned rules and config an agent running as the user cannot change.
    pub system: PathBuf,
    /// `$XDG_CONFIG_HOME/guard`.
    pub config: PathBuf,
    /// `$XDG_DATA_HOME/guard`.
    pub data: PathBuf,
    /// `$XDG_STATE_HOME/guard`: pending requests, grants, the audit log.
    pub state: PathBuf,
    /// `$XDG_CACHE_HOME/guard`: the user rule files' index (`rules::index`).
    pub cache: PathBuf,
}

impl Dirs {
    pub fn from_env() -> Dirs {
        let home = || {
            std::env::var_os("HOME")
                .map(PathBuf::from)
                .unwrap_or_default()
        };
        // The XDG spec: a relative value is invalid and must be ignored.
        let xdg = |var: &str, fallback: &str| {
            std::env::var_os(var)
                .map(PathBuf::from)
                .filter(|p| p.is_absolute())
                .unwrap_or_else(|| home().join(fallback))
                .join("guard")
        };
        Dirs {
            system: system_dir(),
            config: xdg("XDG_CONFIG_HOME", ".config"),
            data: xdg("XDG_DATA_HOME", ".local/share"),
            state: xdg("XDG_STATE_HOME", ".local/state"),
            cache: xdg("XDG_CACHE_HOME", ".cache"),
        }
    }

    /// Every directory under `root`: for benchmarks and tests that must see no real layers.
    pub fn rooted(root: &std::path::Path) -> Dirs {
        Dirs {
            system: root.join("etc"),
            config: root.join("config"),
            data: root.join("data"),
            state: root.join("state"),
            cache: root.join("cache"),
        }
    }

    pub fn system_rules(&self) -> PathBuf {
        self.system.join("rules")
    }

    pub fn user_rules(&self) -> PathBuf {
        self.config.join("rules")
    }

    /// Which user rule files name which tools: a cache, rebuilt whenever it is unusable.
    pub fn rules_index(&self) -> PathBuf {
        self.cache.join("rules-index")
    }

    /// Compiled user rule files (`layers::pack_cache`): a cache, like the index.
    pub fn compiled_packs(&self) -> PathBuf {
        self.cache.join("packs")
    }

    pub fn system_config(&self) -> PathBuf {
        self.system.join("config.yaml")
    }

    pub fn user_config(&self) -> PathBuf {
        self.config.join("config.yaml")
    }

    /// The shim directory: `--dir`, else `$GUARD_SHIM_DIR`, else `$XDG_DATA_HOME/guard/shims`.
    pub fn shim_dir(&self, flag: Option<PathBuf>) -> PathBuf {
        flag.or_else(|| std::env::var_os("GUARD_SHIM_DIR").map(PathBuf::from))
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or_else(|| self.data.join("shims"))
    }
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
