//! `config.yaml`: the machine's (`/etc/guard`) and the user's. Settings only ever combine
//! towards the stricter: a user file can add `disable:` entries and tune the prompt, but it
//! cannot hold the passphrase hash or switch `require_passphrase` off.

use crate::paths::Dirs;
use crate::rules::Disabled;
use crate::rules::compile::yaml_error;
use crate::rules::diagnostic::{Code, Diagnostic};
use serde::Deserialize;
use serde_saphyr::Spanned;
use std::path::Path;
use std::time::Duration;

/// A `disable:` entry: a rule id, or one sealed by `guard disable` (`{id, seal}`).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum DisableSpec {
    Id(String),
    Sealed { id: String, seal: String },
}

impl DisableSpec {
    fn entry(d: Spanned<DisableSpec>, file: &str, system: bool) -> Disabled {
        let written_at = at(&d);
        let (id, seal) = match d.value {
            DisableSpec::Id(id) => (id, None),
            DisableSpec::Sealed { id, seal } => (id, Some(seal)),
        };
        Disabled {
            at: written_at,
            id,
            file: file.to_string(),
            seal,
            system,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Switch {
    On,
    Off,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigSpec {
    #[serde(default)]
    disable: Vec<Spanned<DisableSpec>>,
    /// The machine is locked (`guard lock`): only /etc/guard may disable a rule. Only there.
    #[serde(default)]
    locked: Option<bool>,
    /// How long a confirmation prompt waits for an answer, e.g. `60s`, `2m`.
    #[serde(default)]
    confirm_timeout: Option<Spanned<String>>,
    /// A call that needs a human and has no terminal waits this long (at most 10m) for a
    /// `guard allow`, instead of failing at once. Off by default.
    #[serde(default)]
    approval_wait: Option<Spanned<String>>,
    /// Confirmation prompts ask for the passphrase as well.
    #[serde(default)]
    confirm_with_passphrase: Option<bool>,
    /// `off`: the rules of the confirm tier do not apply. A loosening: it counts as a
    /// `disable` of `@confirm-tier` does (docs/rules.md).
    #[serde(default)]
    confirm_tier: Option<Spanned<Switch>>,
    /// Every approval and confirmation needs the passphrase; without a usable one, refuse.
    #[serde(default)]
    require_passphrase: Option<bool>,
    /// The passphrase's argon2 hash (PHC string). Only honoured in /etc/guard/config.yaml.
    #[serde(default)]
    passphrase_hash: Option<Spanned<String>>,
    /// The public key seals are checked against (`key SALT PUBLIC`). Only in /etc/guard.
    #[serde(default)]
    passphrase_key: Option<Spanned<String>>,
}

/// The longest `approval_wait`: a call held longer looks hung to the agent and its human.
const MAX_APPROVAL_WAIT: Duration = Duration::from_secs(600);

#[derive(Debug, Clone)]
pub struct Config {
    pub disabled: Vec<Disabled>,
    pub confirm_timeout: Duration,
    /// `approval_wait`: how long a call without a terminal waits for `guard allow`.
    pub approval_wait: Option<Duration>,
    pub confirm_with_passphrase: bool,
    pub require_passphrase: bool,
    /// From /etc/guard/config.yaml only: a user-writable file must not define the secret.
    pub system_passphrase_hash: Option<String>,
    /// Its signing key's public half (`approval::seal`), likewise.
    pub system_passphrase_key: Option<String>,
    /// `locked: true` in /etc/guard/config.yaml: the user's layer may only tighten.
    pub locked: bool,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            disabled: Vec::new(),
            confirm_timeout: Duration::from_secs(60),
            approval_wait: None,
            confirm_with_passphrase: false,
            require_passphrase: false,
            system_passphrase_hash: None,
            system_passphrase_key: None,
            locked: false,
        }
    }
}

/// The config where only it is needed (not the rules): its first error, if it has one.
pub fn load_checked(dirs: &Dirs) -> Result<Config, Diagnostic> {
    let mut diags = Vec::new();
    let config = load(dirs, &mut diags);
    match diags.into_iter().find(Diagnostic::is_error) {
        Some(d) => Err(d),
        None => Ok(config),
    }
}

/// Read both config files; problems are pushed onto `diags` (any error refuses).
pub fn load(dirs: &Dirs, diags: &mut Vec<Diagnostic>) -> Config {
    let mut config = Config::default();
    let mut timeout_set = false;
    for (path, system) in [(dirs.system_config(), true), (dirs.user_config(), false)] {
        let Some(spec) = read(&path, diags) else {
            continue;
        };
        let file = path.display().to_string();
        config.disabled.extend(
            spec.disable
                .into_iter()
                .map(|d| DisableSpec::entry(d, &file, system)),
        );
        if let Some(locked) = spec.locked {
            if system {
                config.locked |= locked;
            } else {
                diags.push(system_only(
                    &file,
                    (1, 1),
                    "locked",
                    "`sudo guard lock` locks the machine; remove this key",
                ));
            }
        }
        if let Some(t) = spec.confirm_timeout {
            match humantime::parse_duration(&t.value) {
                // The machine's timeout, when set, wins over the user's.
                Ok(d) if !timeout_set || system => {
                    config.confirm_timeout = d;
                    timeout_set |= system;
                }
                Ok(_) => {}
                Err(e) => diags.push(
                    Diagnostic::new(
                        Code::G003,
                        &file,
                        at(&t),
                        format!("confirm_timeout `{}`: {e}", t.value),
                    )
                    .hint("write a duration such as `60s` or `2m`"),
                ),
            }
        }
        if let Some(w) = spec.approval_wait {
            match humantime::parse_duration(&w.value) {
                Ok(d) if d <= MAX_APPROVAL_WAIT => {
                    // The machine's setting, when set, wins over the user's.
                    if system || config.approval_wait.is_none() {
                        config.approval_wait = Some(d).filter(|d| !d.is_zero());
                    }
                }
                Ok(_) => diags.push(
                    Diagnostic::new(
                        Code::G003,
                        &file,
                        at(&w),
                        format!("approval_wait `{}` is longer than 10m", w.value),
                    )
                    .hint("an agent's call should not hang longer; use at most `10m`"),
                ),
                Err(e) => diags.push(
                    Diagnostic::new(
                        Code::G003,
                        &file,
                        at(&w),
                        format!("approval_wait `{}`: {e}", w.value),
                    )
                    .hint("write a duration such as `2m`"),
                ),
            }
        }
        if let Some(tier) = spec.confirm_tier
            && tier.value == Switch::Off
        {
            config.disabled.push(Disabled {
                at: at(&tier),
                id: crate::rules::model::CONFIRM_TIER.to_string(),
                file: file.clone(),
                seal: None,
                system,
            });
        }
        config.confirm_with_passphrase |= spec.confirm_with_passphrase.unwrap_or(false);
        config.require_passphrase |= spec.require_passphrase.unwrap_or(false);
        if let Some(hash) = spec.passphrase_hash {
            if system {
                config.system_passphrase_hash = Some(hash.value);
            } else {
                diags.push(system_only(
                    &file,
                    at(&hash),
                    "passphrase_hash",
                    "use `guard passphrase set` for your own passphrase; remove this key",
                ));
            }
        }
        if let Some(key) = spec.passphrase_key {
            if system {
                config.system_passphrase_key = Some(key.value);
            } else {
                diags.push(system_only(
                    &file,
                    at(&key),
                    "passphrase_key",
                    "`guard passphrase set` stores your own key; remove this key",
                ));
            }
        }
    }
    read_sealed(&dirs.sealed_disables(), &mut config, diags);
    config
}

/// Where a value was written.
fn at<T>(v: &Spanned<T>) -> (u32, u32) {
    (v.referenced.line() as u32, v.referenced.column() as u32)
}

/// G002 for a key only `/etc/guard/config.yaml` may set: a user-writable file must not.
fn system_only(file: &str, at: (u32, u32), key: &str, hint: &str) -> Diagnostic {
    Diagnostic::new(
        Code::G002,
        file,
        at,
        format!("`{key}` is only honoured in /etc/guard/config.yaml"),
    )
    .hint(hint)
}

/// The `disable` entries `guard disable` wrote (a YAML list of `{id, seal}`).
fn read_sealed(path: &Path, config: &mut Config, diags: &mut Vec<Diagnostic>) {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return,
        Err(e) => return diags.push(Diagnostic::unreadable(path, &e)),
    };
    let file = path.display().to_string();
    match serde_saphyr::from_str::<Option<Vec<Spanned<DisableSpec>>>>(&text) {
        Ok(entries) => config.disabled.extend(
            entries
                .unwrap_or_default()
                .into_iter()
                .map(|d| DisableSpec::entry(d, &file, false)),
        ),
        Err(e) => diags.push(yaml_error(&file, &e)),
    }
}

fn read(path: &Path, diags: &mut Vec<Diagnostic>) -> Option<ConfigSpec> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
        Err(e) => {
            diags.push(Diagnostic::unreadable(path, &e));
            return None;
        }
    };
    match serde_saphyr::from_str::<Option<ConfigSpec>>(&text) {
        Ok(spec) => Some(spec.unwrap_or_default()),
        Err(e) => {
            diags.push(yaml_error(&path.display().to_string(), &e));
            None
        }
    }
}
