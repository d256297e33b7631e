//! `guard lint`: one fixture per diagnostic code, with golden human and JSON output
//! (tests/fixtures/lint/CODE.{yaml,txt,json}; regenerate with GUARD_BLESS=1 and review the diff).
//! A code about config files has `CODE.config.yaml` instead, linted as the user's config.yaml.

use crate::sandbox::{Sandbox, stdout};
use assert_cmd::prelude::*;
use std::path::Path;

fn fixtures() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/lint")
}

/// Every code `Code` defines, read from its source so a new code cannot go unnoticed here.
fn codes() -> Vec<String> {
    let src = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("src/rules/diagnostic.rs"),
    )
    .unwrap();
    let variant = regex::Regex::new(r"(?m)^    ([GW]\d{3}),$").unwrap();
    let codes: Vec<String> = variant
        .captures_iter(&src)
        .map(|c| c[1].to_string())
        .collect();
    assert!(codes.len() >= 19, "found only {codes:?}");
    codes
}

#[test]
fn every_diagnostic_code_has_a_docs_row_and_a_fixture() {
    let docs = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/lint.md"))
        .unwrap();
    for code in codes() {
        assert!(
            docs.contains(&format!("| {code} |")),
            "docs/lint.md has no row for {code}"
        );
        let rule_file = fixtures().join(format!("{code}.yaml"));
        let config_file = fixtures().join(format!("{code}.config.yaml"));
        assert!(
            rule_file.exists() || config_file.exists(),
            "no fixture for {code} in tests/fixtures/lint"
        );
    }
}

fn lint(sb: &Sandbox, args: &[&str]) -> std::process::Output {
    sb.guard()
        .arg("lint")
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap()
}

fn golden(path: &Path, actual: &str) {
    if std::env::var_os("GUARD_BLESS").is_some() {
        std::fs::write(path, actual).unwrap();
    }
    let expected = std::fs::read_to_string(path)
        .unwrap_or_else(|_| panic!("missing golden file {}", path.display()));
    assert_eq!(actual, expected, "golden mismatch for {}", path.display());
}

#[test]
fn each_diagnostic_code_has_golden_human_and_json_output() {
    let dir = fixtures();
    for code in codes() {
        let sb = Sandbox::new();
        let file = format!("tests/fixtures/lint/{code}.yaml");
        // A config fixture is the user's config.yaml, linted with every layer.
        let config = dir.join(format!("{code}.config.yaml"));
        let args: Vec<&str> = if config.exists() {
            std::fs::create_dir_all(sb.path("home/.config/guard")).unwrap();
            std::fs::copy(&config, sb.path("home/.config/guard/config.yaml")).unwrap();
            vec![]
        } else {
            vec![&file]
        };
        let human = lint(&sb, &args);
        golden(
            &dir.join(format!("{code}.txt")),
            &sb.normalize(&stdout(&human)),
        );
        let json = lint(&sb, &[&["--format", "json"][..], &args].concat());
        golden(
            &dir.join(format!("{code}.json")),
            &sb.normalize(&stdout(&json)),
        );
        let parsed: serde_json::Value = serde_json::from_str(&stdout(&json)).unwrap();
        let first = &parsed[0];
        assert_eq!(first["code"], code.as_str(), "{code}: first diagnostic");
        assert!(first["line"].as_u64().unwrap() > 0 && first["column"].as_u64().unwrap() > 0);
        let expected_exit = if code.starts_with('G') { 1 } else { 0 };
        assert_eq!(human.status.code(), Some(expected_exit), "{code}");
    }
}

#[test]
fn a_bad_regex_is_reported_at_its_line_and_column() {
    let sb = Sandbox::new();
    let out = lint(&sb, &["--format", "json", "tests/fixtures/lint/G005.yaml"]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(
        (v[0]["line"].as_u64(), v[0]["column"].as_u64()),
        (Some(8), Some(12))
    );
    assert_eq!(v[0]["rule"], "tool.drop");
}

#[test]
fn deny_warnings_fails_on_warnings() {
    let sb = Sandbox::new();
    let file = "tests/fixtures/lint/W102.yaml";
    sb.guard()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["lint", file])
        .assert()
        .code(0);
    sb.guard()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["lint", "--deny-warnings", file])
        .assert()
        .code(1);
}

#[test]
fn github_format_parses_back_into_file_line_col_and_message() {
    let sb = Sandbox::new();
    let out = lint(
        &sb,
        &["--format", "github", "tests/fixtures/lint/G002.yaml"],
    );
    let line = stdout(&out).lines().next().unwrap().to_string();
    let rest = line.strip_prefix("::error ").expect("an error command");
    let (props, message) = rest.split_once("::").unwrap();
    let props: std::collections::HashMap<&str, &str> =
        props.split(',').filter_map(|p| p.split_once('=')).collect();
    assert_eq!(props["file"], "tests/fixtures/lint/G002.yaml");
    assert_eq!(props["line"], "4");
    assert_eq!(props["col"], "5");
    assert!(message.starts_with("unknown field `acton`"), "{message}");
}

#[test]
fn every_bundled_pack_lints_clean_with_warnings_denied() {
    let sb = Sandbox::new();
    let out = lint(&sb, &["--deny-warnings", "rules/"]);
    assert!(out.status.success(), "{}", stdout(&out));
    let out = sb
        .guard()
        .args(["lint", "--deny-warnings"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stdout(&out));
}

#[test]
fn a_missing_path_is_a_usage_error() {
    let sb = Sandbox::new();
    sb.guard()
        .args(["lint", "/no/such/file.yaml"])
        .assert()
        .code(2);
}
