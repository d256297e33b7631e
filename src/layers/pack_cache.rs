//! Compiled user rule files, cached: a rule file for the invoked tool is parsed once and its
//! compiled form (`Pack::to_bytes`) kept under `$XDG_CACHE_HOME/guard/packs/`, keyed by the
//! file's stat, so later calls decode it instead of parsing YAML (most of what such a call
//! cost: README, Performance).
//!
//! It can only ever save a parse, under the same rules as the index (`index`): an entry counts
//! only while the file's stat is what it was when it was compiled, is written only for a
//! settled file the current user owns, and anything unreadable or for another file is a miss.

use super::index::Stamp;
use crate::rules::Pack;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// What an entry was made from: the rule file (directory, name) and its stat then.
#[derive(Debug, PartialEq, Eq, Serialize, Deserialize)]
struct Key {
    dir: Vec<u8>,
    name: Vec<u8>,
    stamp: Stamp,
}

/// The cache directory and the rule directory it serves.
pub struct PackCache {
    dir: PathBuf,
    rules_dir: Vec<u8>,
    now: i64,
    euid: u32,
}

impl PackCache {
    /// `now`: seconds since the epoch, taken before any stat the cache judges.
    pub fn new(dir: PathBuf, rules_dir: &[u8], now: i64, euid: u32) -> PackCache {
        PackCache {
            dir,
            rules_dir: rules_dir.to_vec(),
            now,
            euid,
        }
    }

    fn path(&self, name: &[u8]) -> PathBuf {
        let hex: String = name.iter().map(|b| format!("{b:02x}")).collect();
        self.dir.join(hex)
    }

    fn key(&self, name: &[u8], stamp: Stamp) -> Key {
        Key {
            dir: self.rules_dir.clone(),
            name: name.to_vec(),
            stamp,
        }
    }

    /// The rule file `name`'s compiled pack, if an entry vouches for it at `stamp`. Its
    /// bytes are kept for the life of the process: the pack's strings borrow from them.
    pub fn get(&self, name: &[u8], stamp: Stamp) -> Option<Pack> {
        if !stamp.vouchable(self.now, self.euid) {
            return None;
        }
        let bytes = std::fs::read(self.path(name)).ok()?;
        let (key, rest) = postcard::take_from_bytes::<Key>(&bytes).ok()?;
        (key == self.key(name, stamp)).then_some(())?;
        let len = rest.len();
        let bytes: &'static [u8] = bytes.leak();
        Pack::from_bytes(&bytes[bytes.len() - len..])
    }

    /// Keep `pack`, compiled from `name` at `stamp` without an error. Best effort: a cache
    /// that cannot be written only means the next call parses again.
    pub fn put(&self, name: &[u8], stamp: Stamp, pack: &Pack) {
        if !stamp.vouchable(self.now, self.euid) {
            return;
        }
        let Ok(mut bytes) = postcard::to_allocvec(&self.key(name, stamp)) else {
            return;
        };
        bytes.extend_from_slice(&pack.to_bytes());
        let _ = crate::state::write_cache(&self.path(name), &bytes);
    }
}
