//! The quality bar, measured: labelled command lines written from the tools' docs
//! (tests/corpus/*.txt, `refuse: …`, `confirm: …` or `allow: …`). Every line marked refuse
//! (irreversible) must be denied or confirmed; at least 95% of the lines marked confirm (the
//! confirm tier: recoverable changes that take effect now) must be; at most 2% of the lines
//! marked allow may be flagged.

use guard::host::Host;
use guard::layers::{Scope, load};
use guard::paths::Dirs;
use guard::rules::Action;
use guard::rules::decision::decide;
use std::ffi::OsString;
use std::path::Path;

#[test]
fn every_irreversible_command_is_refused_and_few_read_only_ones_are_flagged() {
    let nowhere = Path::new("/nonexistent/guard-corpus");
    let dirs = Dirs::rooted(nowhere);
    let (rules, _) =
        load(&dirs, Scope::All, std::time::SystemTime::now()).expect("bundled packs load");
    let host = Host::for_examples(false);
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let (mut refuse_total, mut allow_total, mut flagged) = (0, 0, Vec::new());
    let (mut confirm_total, mut unconfirmed) = (0, Vec::new());
    let mut missed = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (label, command) = match line.split_once(": ") {
                Some((label @ ("refuse" | "confirm" | "allow"), c)) => (label, c),
                _ => panic!(
                    "{}:{}: expected `refuse: …`, `confirm: …` or `allow: …`",
                    file.display(),
                    n + 1
                ),
            };
            let mut words = shlex::split(command)
                .unwrap_or_else(|| panic!("{}:{}: cannot split", file.display(), n + 1));
            // Leading NAME=value words set the environment, as in a shell.
            let mut env = Vec::new();
            while let Some((k, v)) = words[0].split_once('=').filter(|(k, _)| {
                !k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            }) {
                env.push((OsString::from(k), OsString::from(v)));
                words.remove(0);
            }
            let args: Vec<OsString> = words[1..].iter().map(OsString::from).collect();
            let d = decide(&rules, &words[0], &args, &env, &host);
            let refused = d.action != Action::Allow;
            let at = format!(
                "{}:{}: {command}",
                file.file_name().unwrap().to_string_lossy(),
                n + 1
            );
            if label == "refuse" {
                refuse_total += 1;
                if !refused {
                    missed.push(at);
                }
            } else if label == "confirm" {
                confirm_total += 1;
                if !refused {
                    unconfirmed.push(at);
                }
            } else {
                allow_total += 1;
                if refused {
                    flagged.push(at);
                }
            }
        }
    }
    println!(
        "corpus: {refuse_total} irreversible lines, {} refused; {confirm_total} confirm-tier lines, {} confirmed; {allow_total} read-only lines, {} flagged ({:.1}%)",
        refuse_total - missed.len(),
        confirm_total - unconfirmed.len(),
        flagged.len(),
        100.0 * flagged.len() as f64 / allow_total.max(1) as f64
    );
    assert!(
        unconfirmed.len() * 20 <= confirm_total,
        "fewer than 95% of confirm-tier commands confirmed:\n{}",
        unconfirmed.join("\n")
    );
    assert!(
        missed.is_empty(),
        "irreversible commands let through:\n{}",
        missed.join("\n")
    );
    assert!(
        flagged.len() * 50 <= allow_total,
        "more than 2% of read-only commands flagged:\n{}",
        flagged.join("\n")
    );
    assert!(refuse_total > 0 && allow_total > 0);
}
