//! The user rule files' index and compiled cache: once a file for other tools is indexed, a
//! shim call stats it instead of reading it; once a file for the called tool is compiled, a
//! call decodes it instead of parsing YAML. Any change to a file or to the directory is seen
//! on the next call, and an index or cache entry that is corrupt or does not match the files
//! vouches for nothing.

use crate::sandbox::{Sandbox, stderr};
use nix::sys::inotify::{AddWatchFlags, InitFlags, Inotify};
use std::ffi::OsString;
use std::os::unix::fs::MetadataExt as _;
use std::time::Duration;

const RAILWAY: &str = r#"
tools: [railway]
rules:
  - id: mine.railway.down
    action: deny
    reason: Takes the service down.
    match: {command: [down]}
    examples: ["railway down"]
"#;

const KUBECTL: &str = r#"
tools: [kubectl]
rules:
  - id: mine.kubectl.drain
    action: deny
    reason: Drains a node.
    match: {command: [drain]}
    examples: ["kubectl drain node-1"]
"#;

/// The same length as `KUBECTL`, so only the timestamps and the text tell the edit apart.
const KUBECTL_NOW_RAILWAY: &str = r#"
tools: [railway]
rules:
  - id: mine.kubectl.drain
    action: deny
    reason: Denied for railway.
    match: {command: [status]}
    examples: ["railway status"]
"#;

/// A sandbox with a railway rule file and a kubectl one, old enough to be indexed.
fn settled_sandbox() -> Sandbox {
    let sb = Sandbox::guarding("railway")
        .with_rules("railway.yaml", RAILWAY)
        .with_rules("kubectl.yaml", KUBECTL);
    // The index trusts only files changed more than 3 s before the call (see `rules::index`).
    std::thread::sleep(Duration::from_secs(4));
    sb
}

fn status_runs(sb: &Sandbox) {
    let out = sb.run("railway").arg("status").output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

/// Runs `railway ARG` and asserts guard refused it: the real railway did not run.
fn refused(sb: &Sandbox, arg: &str) -> String {
    let before = sb.runs("railway");
    let out = sb.run("railway").arg(arg).output().unwrap();
    assert_eq!(out.status.code(), Some(126), "{}", stderr(&out));
    assert_eq!(sb.runs("railway"), before, "the real railway must not run");
    stderr(&out)
}

/// The rule files `railway status` opens, by name.
fn files_opened_by_status(sb: &Sandbox) -> Vec<OsString> {
    let inotify = Inotify::init(InitFlags::IN_NONBLOCK).unwrap();
    inotify
        .add_watch(&sb.path("home/.config/guard/rules"), AddWatchFlags::IN_OPEN)
        .unwrap();
    status_runs(sb);
    let mut opened = Vec::new();
    while let Ok(events) = inotify.read_events() {
        opened.extend(events.into_iter().filter_map(|e| e.name));
    }
    opened.sort();
    opened
}

/// The cache file of `prefix` (one per rule directory: the user's own here).
fn cached(sb: &Sandbox, prefix: &str) -> std::path::PathBuf {
    let found: Vec<_> = std::fs::read_dir(sb.path("cache/guard"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with(prefix))
        .collect();
    assert_eq!(found.len(), 1, "{prefix}*: {found:?}");
    found.into_iter().next().unwrap()
}

fn index_path(sb: &Sandbox) -> std::path::PathBuf {
    cached(sb, "rules-index-")
}

fn index(sb: &Sandbox) -> String {
    std::fs::read_to_string(index_path(sb)).unwrap()
}

#[test]
fn once_indexed_a_rule_file_for_other_tools_is_not_opened() {
    let sb = settled_sandbox();
    assert_eq!(
        files_opened_by_status(&sb),
        ["kubectl.yaml", "railway.yaml"],
        "without an index every file is read"
    );
    assert!(index(&sb).starts_with("guard rules index 1\n"));
    let written = std::fs::metadata(index_path(&sb)).unwrap();
    // The tool's own file comes compiled from the cache: no rule file is opened at all.
    assert_eq!(files_opened_by_status(&sb), Vec::<OsString>::new());
    // Nothing changed, so nothing was written (a rewrite renames a new file over it).
    let after = std::fs::metadata(index_path(&sb)).unwrap();
    assert_eq!(written.ino(), after.ino());
    // The tool's own rules still apply.
    let err = refused(&sb, "down");
    assert!(err.contains("mine.railway.down"), "{err}");
}

#[test]
fn an_indexed_file_edited_to_name_this_tool_applies_at_once() {
    let sb = settled_sandbox();
    status_runs(&sb);
    assert_eq!(files_opened_by_status(&sb), Vec::<OsString>::new());
    assert_eq!(KUBECTL.len(), KUBECTL_NOW_RAILWAY.len());
    // Rewritten in place, same size, same inode, within the same second as the call before.
    std::fs::write(
        sb.path("home/.config/guard/rules/kubectl.yaml"),
        KUBECTL_NOW_RAILWAY,
    )
    .unwrap();
    refused(&sb, "status");
}

#[test]
fn a_new_rule_file_applies_at_once() {
    let sb = settled_sandbox();
    status_runs(&sb);
    status_runs(&sb);
    sb.user_rules("zz-new.yaml", KUBECTL_NOW_RAILWAY);
    refused(&sb, "status");
}

#[test]
fn an_index_that_does_not_match_the_files_is_ignored_and_rebuilt() {
    let sb = settled_sandbox();
    std::fs::write(
        sb.path("home/.config/guard/rules/kubectl.yaml"),
        KUBECTL_NOW_RAILWAY,
    )
    .unwrap();
    std::thread::sleep(Duration::from_secs(4));
    let dir = sb.path("home/.config/guard/rules");
    // A first call writes the index; the forgery below replaces it.
    refused(&sb, "status");
    let index_file = index_path(&sb);
    // Says kubectl.yaml (which now names railway) names kubectl only, with a stat that is not
    // the file's.
    let forged = format!(
        "guard rules index 1\ndir {}\nfile 1 2 33188 0 10 1.0 1.0 kubectl.yaml kubectl\n",
        dir.display()
    );
    let forged = format!("{forged}end {}\n", forged.len());
    std::fs::write(&index_file, &forged).unwrap();
    refused(&sb, "status");
    assert_ne!(index(&sb), forged);
    for garbage in [
        "",
        "guard rules index 1\n",
        "\u{0}\u{1}garbage",
        &forged[..40],
    ] {
        std::fs::write(&index_file, garbage).unwrap();
        refused(&sb, "status");
        assert!(
            index(&sb).contains("kubectl.yaml railway\n"),
            "{}",
            index(&sb)
        );
    }
}

/// `RAILWAY` with `down` turned into `status`: the same length.
const RAILWAY_NOW_STATUS: &str = r#"
tools: [railway]
rules:
  - id: mine.railway.down
    action: deny
    reason: Takes the svc down.
    match: {command: [status]}
    examples: ["railway status"]
"#;

#[test]
fn a_cached_rule_file_edited_in_place_applies_at_once() {
    let sb = settled_sandbox();
    status_runs(&sb);
    assert_eq!(files_opened_by_status(&sb), Vec::<OsString>::new());
    assert_eq!(RAILWAY.len(), RAILWAY_NOW_STATUS.len());
    std::fs::write(
        sb.path("home/.config/guard/rules/railway.yaml"),
        RAILWAY_NOW_STATUS,
    )
    .unwrap();
    refused(&sb, "status");
}

#[test]
fn a_corrupt_or_foreign_cache_entry_is_ignored() {
    let sb = settled_sandbox();
    status_runs(&sb);
    let packs = cached(&sb, "packs-");
    let entries: Vec<_> = std::fs::read_dir(&packs)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(
        entries.len(),
        1,
        "railway.yaml's compiled form: {entries:?}"
    );
    // Another file's entry put in its place, then garbage: each is a miss, and the rules
    // are read from the file again.
    let other = Sandbox::guarding("railway").with_rules("railway.yaml", RAILWAY_NOW_STATUS);
    std::thread::sleep(Duration::from_secs(4));
    other.run("railway").arg("down").output().unwrap();
    let foreign = std::fs::read_dir(cached(&other, "packs-"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    for bytes in [
        std::fs::read(foreign).unwrap(),
        b"\x00\x01garbage".to_vec(),
        Vec::new(),
    ] {
        std::fs::write(&entries[0], bytes).unwrap();
        status_runs(&sb);
        refused(&sb, "down");
    }
}
