//! The layered loader: bundled packs (compiled into the binary) → /etc/guard/rules → the
//! user's `~/.config/guard/rules` (and `$XDG_CONFIG_HOME/guard/rules` where that is another
//! directory), with the config files beside them (`disable:`). Any error refuses. The edge of the rules core: it reads files, the core only compiles text.

pub mod index;
mod pack_cache;
mod tools_line;

use crate::config::{self, Config};
use crate::paths::Dirs;
use crate::rules::bundled::{self, BUNDLED};
use crate::rules::compile::{RegexCheck, compile_pack};
use crate::rules::diagnostic::{Code, Diagnostic};
use crate::rules::{Disabled, Ignored, Pack, RuleSet};
use index::{Index, Stamp};
use nix::fcntl::AtFlags;
use pack_cache::PackCache;
use std::ffi::OsStr;
use std::os::unix::ffi::{OsStrExt as _, OsStringExt as _};
use std::path::{Path, PathBuf};
use std::time::SystemTime;
use tools_line::tools_line;

/// Which packs to load: the shim needs one tool's; `rules`, `lint` and `install --all` need all.
#[derive(Debug, Clone, Copy)]
pub enum Scope<'a> {
    Tool(&'a str),
    All,
}

/// Rule layers that failed to load: the guarded command must not run.
#[derive(Debug)]
pub struct LoadError {
    pub errors: Vec<Diagnostic>,
}

impl std::error::Error for LoadError {}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for d in self.errors.iter().take(5) {
            writeln!(f, "{d}")?;
        }
        if self.errors.len() > 5 {
            writeln!(f, "... and {} more", self.errors.len() - 5)?;
        }
        write!(
            f,
            "the rules could not be loaded, so nothing runs until they are fixed (run `guard lint` to see every problem)"
        )
    }
}

/// Each tool's rules, loaded once: a shell string names the same tool many times
/// (`git status && git log && …`), and each load reads the user's layers.
pub struct PerTool<'a> {
    dirs: &'a Dirs,
    now: SystemTime,
    loaded: std::collections::HashMap<String, std::rc::Rc<RuleSet>>,
}

impl<'a> PerTool<'a> {
    pub fn new(dirs: &'a Dirs, now: SystemTime) -> PerTool<'a> {
        PerTool {
            dirs,
            now,
            loaded: std::collections::HashMap::new(),
        }
    }

    /// `tool`'s rules, as a shim for it would load them.
    pub fn get(&mut self, tool: &str) -> Result<std::rc::Rc<RuleSet>, LoadError> {
        if let Some(rules) = self.loaded.get(tool) {
            return Ok(rules.clone());
        }
        let rules = std::rc::Rc::new(load(self.dirs, Scope::Tool(tool), self.now)?.0);
        self.loaded.insert(tool.to_string(), rules.clone());
        Ok(rules)
    }
}

/// Load for the shim and every command that decides: errors (not warnings) refuse.
/// `now` is the call's one reading of the clock: the cache judges stats by it.
pub fn load(dirs: &Dirs, scope: Scope, now: SystemTime) -> Result<(RuleSet, Config), LoadError> {
    let (set, config, diags) = load_with_diagnostics(dirs, scope, &[], now);
    let errors: Vec<Diagnostic> = diags.into_iter().filter(Diagnostic::is_error).collect();
    if errors.is_empty() {
        Ok((set, config))
    } else {
        Err(LoadError { errors })
    }
}

/// Load every layer and the config files, and report all problems. `extra` are further files
/// (lint's arguments) that are checked alongside the layers.
pub fn load_with_diagnostics(
    dirs: &Dirs,
    scope: Scope,
    extra: &[PathBuf],
    now: SystemTime,
) -> (RuleSet, Config, Vec<Diagnostic>) {
    let mut diags = Vec::new();
    let mut packs = Vec::new();
    let bundled: Vec<usize> = match scope {
        Scope::Tool(tool) => bundled::naming(tool).collect(),
        Scope::All => (0..BUNDLED.len()).collect(),
    };
    for i in bundled {
        match scope {
            // The shim's path: the pack was compiled at build time (its regexes compile on
            // first use); lint and `guard rules` below parse and validate the text instead.
            Scope::Tool(_) if let Some(pack) = bundled::compiled(i) => packs.push(pack),
            _ => packs.extend(compile_pack(
                &bundled::label(BUNDLED[i].name),
                BUNDLED[i].text,
                RegexCheck::Full,
                &mut diags,
            )),
        }
    }
    // Bundled ids are unique (a unit test checks it), so with no other file there is nothing
    // to compare: the shim skips hashing every id.
    let bundled_only = packs.len();
    for file in rule_files(&dirs.system_rules(), &mut diags) {
        packs.extend(compile_file(&file, scope, &mut diags));
    }
    for dir in dirs.user_rules() {
        match scope {
            Scope::Tool(tool) => {
                user_layer_for(tool, &dir, dirs, now, true, &mut packs, &mut diags)
            }
            Scope::All => {
                for file in rule_files(&dir, &mut diags) {
                    packs.extend(compile_file(&file, scope, &mut diags));
                }
            }
        }
    }
    for file in extra {
        packs.extend(compile_file(file, Scope::All, &mut diags));
    }
    if let Scope::Tool(tool) = scope {
        packs.retain(|p| p.tools.contains(&tool));
    }
    if packs.len() != bundled_only || matches!(scope, Scope::All) {
        check_duplicate_ids(&packs, &mut diags);
    }
    let config = config::load(dirs, &mut diags);
    let (disabled, ignored) = sort_disables(dirs, &config);
    let mut switched_off = Vec::new();
    for pack in &mut packs {
        let keep: Vec<bool> = pack
            .rules
            .iter()
            .map(|r| {
                !disabled
                    .iter()
                    .any(|d| d.id == r.id || (r.tier && d.id == crate::rules::model::CONFIRM_TIER))
            })
            .collect();
        let off = pack.rules.iter().zip(&keep).filter(|(_, k)| !**k);
        switched_off.extend(off.map(|(r, _)| r.id.to_string()));
        let mut k = keep.iter();
        pack.rules.retain(|_| *k.next().unwrap_or(&true));
        let mut k = keep.iter();
        pack.examples.retain(|_| *k.next().unwrap_or(&true));
    }
    (
        RuleSet {
            packs,
            disabled,
            ignored,
            switched_off,
        },
        config,
        diags,
    )
}

/// Which `disable:` entries count. The machine's always do. The user's file is anything
/// running as the user's to edit, so where a passphrase is set only an entry sealed by its key
/// (`guard disable`) counts, and on a locked machine none does. Without a passphrase they count,
/// as the user wrote them, and are shown as unsealed.
fn sort_disables(dirs: &Dirs, config: &Config) -> (Vec<Disabled>, Vec<Ignored>) {
    let (mut counted, mut ignored) = (Vec::new(), Vec::new());
    // Read the key only when there is something to check: most calls have no entry.
    let key = (config.disabled.iter().any(|d| !d.system) && !config.locked)
        .then(|| crate::approval::passphrase::public_key(dirs, config));
    for d in &config.disabled {
        let why = if d.system {
            None
        } else if config.locked {
            Some("the machine is locked (/etc/guard/config.yaml): only /etc/guard may disable a rule".to_string())
        } else {
            match &key {
                Some(Ok(Some(key))) => {
                    let sealed = d.seal.as_ref().is_some_and(|s| {
                        key.verifies(&crate::approval::seal::disable_message(&d.id), s)
                    });
                    (!sealed).then(|| {
                        format!(
                            "not sealed by the passphrase's key; a human runs `guard disable {}`",
                            d.id
                        )
                    })
                }
                Some(Err(why)) => Some(why.clone()),
                Some(Ok(None)) | None => None,
            }
        };
        match why {
            None => counted.push(d.clone()),
            Some(why) => ignored.push(Ignored {
                entry: d.clone(),
                why,
            }),
        }
    }
    (counted, ignored)
}

/// `*.yaml` and `*.yml` in `dir`, sorted. A missing directory is an empty layer.
pub fn rule_files(dir: &Path, diags: &mut Vec<Diagnostic>) -> Vec<PathBuf> {
    match rule_names(dir) {
        Ok(names) => names
            .iter()
            .map(|n| dir.join(OsStr::from_bytes(n)))
            .collect(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => {
            diags.push(Diagnostic::unreadable(dir, &e));
            Vec::new()
        }
    }
}

/// The names of the `*.yaml` and `*.yml` files in `dir`, in byte order.
fn rule_names(dir: &Path) -> std::io::Result<Vec<Vec<u8>>> {
    let mut names = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let name = entry?.file_name().into_vec();
        if name.ends_with(b".yaml") || name.ends_with(b".yml") {
            names.push(name);
        }
    }
    names.sort_unstable();
    Ok(names)
}

/// The user layer for one tool's shim. A file whose index entry (`index`) names only other
/// tools costs a stat; a file for this tool whose compiled form is cached (`pack_cache`) costs
/// a stat and a decode; every other file is read and compiled, and what that learns is written
/// back to both. `trust_listing`: whether the directory's
/// listing may come from the index (false on the retry after it named a file that is gone).
fn user_layer_for(
    tool: &str,
    dir: &Path,
    dirs: &Dirs,
    now: SystemTime,
    trust_listing: bool,
    packs: &mut Vec<Pack>,
    diags: &mut Vec<Diagnostic>,
) {
    let dir_fd = match std::fs::File::open(dir) {
        Ok(fd) => fd,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return,
        Err(e) => return diags.push(Diagnostic::unreadable(dir, &e)),
    };
    // Read before any stat the cache judges by it (`Stamp::settled`).
    let secs = i64::try_from(crate::state::unix_secs(now)).unwrap_or(i64::MAX);
    let reported = diags.len();
    let euid = nix::unistd::geteuid().as_raw();
    let dir_stamp = nix::sys::stat::fstat(&dir_fd).ok().map(|st| Stamp::of(&st));
    let index_path = dirs.rules_index(dir);
    let old = Index::read(&index_path, dir.as_os_str().as_bytes());
    let listed = dir_stamp
        .filter(|_| trust_listing)
        .and_then(|stamp| old.listing(&stamp, euid));
    let from_index = listed.is_some();
    let listed_now;
    let names: Vec<&[u8]> = match listed {
        Some(names) => names,
        None => match rule_names(dir) {
            Ok(names) => {
                listed_now = names;
                listed_now.iter().map(Vec::as_slice).collect()
            }
            Err(e) => return diags.push(Diagnostic::unreadable(dir, &e)),
        },
    };
    let mut update = old.update(secs, euid);
    if let Some(stamp) = dir_stamp {
        update.listing(stamp, &names);
    }
    let cache = PackCache::new(
        dirs.compiled_packs(dir),
        dir.as_os_str().as_bytes(),
        secs,
        euid,
    );
    let mut found = Vec::new();
    for &name in &names {
        let stamp = match nix::sys::stat::fstatat(&dir_fd, name, AtFlags::empty()) {
            Ok(st) => Some(Stamp::of(&st)),
            // Listed by the index yet gone: list the directory itself.
            Err(nix::errno::Errno::ENOENT) if from_index => {
                diags.truncate(reported);
                return user_layer_for(tool, dir, dirs, now, false, packs, diags);
            }
            Err(_) => None,
        };
        if let Some(stamp) = &stamp
            && let Some(tools) = update.known(name, stamp)
            && !tools.contains(tool)
        {
            continue;
        }
        if let Some(stamp) = stamp
            && let Some(pack) = cache.get(name, stamp)
        {
            update.learned(
                name,
                stamp,
                pack.tools.iter().map(|t| t.to_string()).collect(),
            );
            found.push(pack);
            continue;
        }
        let path = dir.join(OsStr::from_bytes(name));
        let read = read_file(&path, Scope::Tool(tool), diags);
        // `tools` is known only for a file that compiled without an error.
        if let (Some(stamp), Some(pack), Some(_)) = (stamp, &read.pack, &read.tools) {
            cache.put(name, stamp, pack);
        }
        found.extend(read.pack);
        if let (Some(stamp), Some(tools)) = (stamp, read.tools) {
            update.learned(name, stamp, tools);
        }
    }
    packs.append(&mut found);
    if let Some(new) = update.finish() {
        // A cache: when it cannot be written, the next call reads the files again.
        let _ = new.write(&index_path);
    }
}

/// Compile one rule file. For a single tool's scope, a file whose one-line `tools:` names
/// other tools only is skipped unparsed: the shim pays for its own tool's rules, not every
/// file's (its own tool's shim, and `guard lint`, still refuse it if it is broken).
pub fn compile_file(path: &Path, scope: Scope, diags: &mut Vec<Diagnostic>) -> Option<Pack> {
    read_file(path, scope, diags).pack
}

/// A rule file read for a scope.
struct FileRead {
    /// Its rules, unless it is for other tools only or broken.
    pack: Option<Pack>,
    /// The tools it names, when they were read without an error (for the index).
    tools: Option<Vec<String>>,
}

fn read_file(path: &Path, scope: Scope, diags: &mut Vec<Diagnostic>) -> FileRead {
    // The shim's path parses each regex; lint and `guard rules` compile them too.
    let (tool, check) = match scope {
        Scope::Tool(tool) => (Some(tool), RegexCheck::Syntax),
        Scope::All => (None, RegexCheck::Full),
    };
    match read_unless_for_others(path, tool) {
        Ok(Head::Others(tools)) => FileRead {
            pack: None,
            tools: Some(tools),
        },
        Ok(Head::Text(text)) => {
            let errors = |d: &[Diagnostic]| d.iter().filter(|d| d.is_error()).count();
            let before = errors(diags);
            let pack = compile_pack(&path.display().to_string(), &text, check, diags);
            let clean = errors(diags) == before;
            let tools = pack
                .as_ref()
                .filter(|_| clean)
                .map(|p| p.tools.iter().map(ToString::to_string).collect());
            FileRead { pack, tools }
        }
        Err(e) => {
            diags.push(Diagnostic::unreadable(path, &e));
            FileRead {
                pack: None,
                tools: None,
            }
        }
    }
}

/// The largest rule file guard reads.
const MAX_RULE_FILE: usize = 1 << 20;

/// What the head of a rule file told.
enum Head {
    /// Its one-line `tools:` names only other tools than the one asked for: these.
    Others(Vec<String>),
    /// The whole file, to parse.
    Text(String),
}

/// The file's text, or its tools when its one-line `tools:` names only tools other than
/// `tool`. That line is looked for in the first 4 KiB (whole lines only), so a shim does not
/// read a large rule file for other tools through; past it, the rest is read and parsed.
fn read_unless_for_others(path: &Path, tool: Option<&str>) -> std::io::Result<Head> {
    use std::io::Read as _;
    let mut file = std::fs::File::open(path)?;
    const HEAD: usize = 4096;
    // Room for the head up front: read_to_end would otherwise grow it 32 bytes at a time.
    let mut text = Vec::with_capacity(HEAD);
    if let Some(tool) = tool {
        (&mut file).take(HEAD as u64).read_to_end(&mut text)?;
        if let Some(line) = first_tools_line(&text, text.len() < HEAD)
            && let Ok(line) = std::str::from_utf8(line)
            && let Some(tools) = tools_line(line)
            && !tools.iter().any(|t| t == tool)
        {
            return Ok(Head::Others(tools));
        }
    }
    let size = file.metadata().map_or(0, |m| m.len() as usize);
    // Every call for the file's tools would parse it: a rule file this large is a mistake
    // (or an attack on the time a shim takes), not a policy.
    if size > MAX_RULE_FILE {
        return Err(std::io::Error::other(format!(
            "larger than {} KiB; a rule file should be a few KiB (split it, or remove what is not rules)",
            MAX_RULE_FILE >> 10
        )));
    }
    text.reserve(size.saturating_sub(text.len()));
    (&mut file)
        .take(MAX_RULE_FILE as u64 + 1)
        .read_to_end(&mut text)?;
    if text.len() > MAX_RULE_FILE {
        return Err(std::io::Error::other(
            "it grew past the size limit while read",
        ));
    }
    String::from_utf8(text).map(Head::Text).map_err(|_| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "stream did not contain valid UTF-8",
        )
    })
}

/// The first line of `head` that starts with `tools:` (the one `tools_line` reads), with its
/// newline, if it is whole: the last line counts only when `head` is the `whole` file.
/// Searched as bytes, so only that line need be checked as UTF-8.
fn first_tools_line(head: &[u8], whole: bool) -> Option<&[u8]> {
    let mut start = 0;
    while start < head.len() {
        let end = match memchr::memchr(b'\n', &head[start..]) {
            Some(i) => start + i + 1,
            None if whole => head.len(),
            None => return None,
        };
        if head[start..end].starts_with(b"tools:") {
            return Some(&head[start..end]);
        }
        start = end;
    }
    None
}

pub fn check_duplicate_ids(packs: &[Pack], diags: &mut Vec<Diagnostic>) {
    let mut seen: std::collections::HashMap<&str, &crate::rules::compiled::Source> =
        Default::default();
    for rule in packs.iter().flat_map(|p| &p.rules) {
        if let Some(first) = seen.get(rule.id) {
            let s = &rule.source;
            diags.push(
                Diagnostic::new(
                    Code::G006,
                    s.file,
                    (s.line, s.column),
                    format!("duplicate rule id `{}` (first defined at {first})", rule.id),
                )
                .rule(rule.id)
                .hint("ids are unique across all layers; to replace a rule, `disable:` it in config.yaml and add yours under a new id"),
            );
        } else {
            seen.insert(rule.id, &rule.source);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tools_line_is_found_in_a_head_only_when_whole() {
        let head = b"# c\n  tools: [x]\ntools: [a, b]\r\nrules:\n";
        let line = first_tools_line(head, false).unwrap();
        assert_eq!(line, b"tools: [a, b]\r\n");
        let line = std::str::from_utf8(line).unwrap();
        assert_eq!(
            tools_line(line),
            Some(vec!["a".to_string(), "b".to_string()])
        );
        // Cut off by the 4 KiB limit: not whole, so the file is read on and parsed.
        assert_eq!(first_tools_line(b"# c\ntools: [a, b", false), None);
        // The whole file, with no final newline.
        assert_eq!(
            first_tools_line(b"tools: [a]", true),
            Some(&b"tools: [a]"[..])
        );
        assert_eq!(first_tools_line(b"# only comments\n", true), None);
    }

    #[test]
    fn the_bundled_tool_lists_agree_with_the_parsed_packs() {
        for bundled in BUNDLED {
            let mut diags = Vec::new();
            let pack = compile_pack(bundled.name, bundled.text, RegexCheck::Full, &mut diags)
                .expect("bundled pack parses");
            assert_eq!(pack.tools, bundled.tools, "{}", bundled.name);
        }
    }
}
