//! Generated documentation stays in sync with the code: the JSON Schema, shell completions and
//! the man page in the repository are what `guard` prints (regenerate with GUARD_BLESS=1).

use crate::sandbox::{Sandbox, stdout};
use std::path::Path;

fn repo(rel: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

fn in_sync(args: &[&str], file: &str) {
    let out = Sandbox::new().guard().args(args).output().unwrap();
    assert!(out.status.success());
    let printed = stdout(&out);
    let path = repo(file);
    if std::env::var_os("GUARD_BLESS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &printed).unwrap();
    }
    let kept = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        kept == printed,
        "{file} drifted from `guard {}`: run the tests with GUARD_BLESS=1 and commit",
        args.join(" ")
    );
}

#[test]
fn the_checked_in_schema_is_what_guard_schema_prints() {
    in_sync(&["schema"], "docs/guard-rules.schema.json");
}

#[test]
fn docs_packs_md_lists_every_bundled_rule() {
    // The file ends with the corpus figures, which tests/corpus.rs keeps.
    let out = Sandbox::new()
        .guard()
        .args(["rules", "--markdown"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let printed = stdout(&out);
    let path = repo("docs/packs.md");
    let kept = std::fs::read_to_string(&path).unwrap_or_default();
    let heading = format!("\n{}", crate::corpus::CORPUS_HEADING);
    let (rules, corpus) = kept.split_once(&heading).unwrap_or((&kept, ""));
    if std::env::var_os("GUARD_BLESS").is_some() && rules != printed {
        let corpus = if corpus.is_empty() {
            String::new()
        } else {
            format!("{heading}{corpus}")
        };
        std::fs::write(&path, format!("{printed}{corpus}")).unwrap();
    } else {
        assert!(
            rules == printed,
            "docs/packs.md drifted from `guard rules --markdown`: run the tests with GUARD_BLESS=1 and commit"
        );
    }
}

#[test]
fn the_checked_in_completions_and_man_page_are_current() {
    in_sync(&["completions", "bash"], "completions/guard.bash");
    in_sync(&["completions", "zsh"], "completions/_guard");
    in_sync(&["completions", "fish"], "completions/guard.fish");
    in_sync(&["man"], "docs/guard.1");
}

fn validator() -> jsonschema::Validator {
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(repo("docs/guard-rules.schema.json")).unwrap(),
    )
    .unwrap();
    jsonschema::validator_for(&schema).unwrap()
}

fn yaml(text: &str) -> serde_json::Value {
    serde_saphyr::from_str(text).unwrap()
}

#[test]
fn the_schema_accepts_every_bundled_pack() {
    let v = validator();
    for entry in std::fs::read_dir(repo("rules")).unwrap() {
        let path = entry.unwrap().path();
        let doc = yaml(&std::fs::read_to_string(&path).unwrap());
        let errors: Vec<String> = v.iter_errors(&doc).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{}: {errors:?}", path.display());
    }
}

#[test]
fn the_schema_rejects_unknown_keys_at_every_level() {
    let v = validator();
    for text in [
        "tools: [x]\nrulez: []\n",
        "tools: [x]\nrules:\n  - {id: a, acton: deny, action: deny, reason: r, match: {command: [a]}}\n",
        "tools: [x]\nrules:\n  - {id: a, action: deny, reason: r, match: {comand: [a]}}\n",
        "tools: [x]\nrules:\n  - {id: a, action: maybe, reason: r, match: {command: [a]}}\n",
    ] {
        assert!(!v.is_valid(&yaml(text)), "accepted: {text}");
    }
}
