//! The confirm tier: rules for recoverable changes that take effect now (`tier: confirm`),
//! on by default, switched off as a whole by `confirm_tier: off`, a loosening that counts
//! only where a hand-written `disable` would.

use crate::allow::set_passphrase;
use crate::sandbox::{Sandbox, stderr, stdout};

const BOUNDED: &[&str] = &[
    "psql",
    "-d",
    "prod",
    "-c",
    "DELETE FROM sessions WHERE id = 7",
];

fn decision(sb: &Sandbox) -> String {
    let out = sb
        .guard()
        .args(["explain", "--json", "--"])
        .args(BOUNDED)
        .output()
        .unwrap();
    let v: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", stderr(&out)));
    v["decision"].as_str().unwrap().to_string()
}

#[test]
fn the_confirm_tier_is_on_by_default_and_off_only_where_a_disable_would_count() {
    let sb = Sandbox::new();
    assert_eq!(decision(&sb), "confirm");
    // The user's config, with no passphrase set: honoured (and shown as unsealed).
    sb.write("home/.config/guard/config.yaml", "confirm_tier: off\n");
    assert_eq!(decision(&sb), "allow");
    let rules = stdout(
        &sb.guard()
            .args(["rules", "--tool", "psql"])
            .output()
            .unwrap(),
    );
    assert!(rules.contains("@confirm-tier"), "{rules}");
    // Irreversible rules are not in the tier: still denied.
    let out = sb
        .guard()
        .args(["explain", "--json", "--", "psql", "-c", "DROP TABLE users"])
        .output()
        .unwrap();
    assert!(stdout(&out).contains("\"decision\":\"deny\""));
    // With a passphrase, a hand-written switch is ignored.
    set_passphrase(&sb, "correct horse battery");
    assert_eq!(decision(&sb), "confirm");
    // The machine's config (root's) always counts.
    sb.write("home/.config/guard/config.yaml", "");
    sb.write("etc/config.yaml", "confirm_tier: off\n");
    assert_eq!(decision(&sb), "allow");
}

#[test]
fn with_a_passphrase_a_human_switches_the_tier_off_with_guard_disable() {
    let sb = Sandbox::new();
    set_passphrase(&sb, "correct horse battery");
    let mut p = crate::allow::guard_on_pty(&sb, &["disable", "@confirm-tier"]);
    p.exp_string("Passphrase: ").unwrap();
    p.send_line("correct horse battery").unwrap();
    p.exp_eof().unwrap();
    assert_eq!(decision(&sb), "allow");
}

#[test]
fn the_tier_holds_confirm_rules_only() {
    let sb = Sandbox::new();
    let file = sb.write(
        "bad.yaml",
        "tools: [x]\nrules:\n  - id: x.y\n    action: deny\n    tier: confirm\n    reason: r\n    match: {command: [yy]}\n    examples: [x yy]\n",
    );
    let out = sb.guard().arg("lint").arg(&file).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains("G003") && stdout(&out).contains("tier"),
        "{}",
        stdout(&out)
    );
}
