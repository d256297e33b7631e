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
    // Per corpus file: [refuse, refused, confirm, confirmed, allow, flagged].
    let mut per_file: Vec<(String, [usize; 6])> = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        per_file.push((name, [0; 6]));
        let counts = &mut per_file.last_mut().unwrap().1;
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
            let slot = match label {
                "refuse" => 0,
                "confirm" => 2,
                _ => 4,
            };
            counts[slot] += 1;
            counts[slot + 1] += usize::from(refused);
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
    publish(&per_file);
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

/// The heading docs/packs.md's corpus section starts with (tests/docs.rs keeps the part before
/// it in sync with `guard rules --markdown`).
pub const CORPUS_HEADING: &str = "## Measured on the labelled corpus";

/// The per-pack figures, kept in docs/packs.md (rewritten with GUARD_BLESS=1).
fn publish(per_file: &[(String, [usize; 6])]) {
    use std::fmt::Write as _;
    let mut section = format!(
        "{CORPUS_HEADING}\n\nWritten by the corpus test (tests/corpus.rs) from `tests/corpus/*.txt`: command lines labelled \
         from each tool's own documentation. An irreversible line must be refused (denied or confirmed), a confirm-tier \
         line confirmed or denied, a read-only line allowed.\n\n\
         | corpus | irreversible refused | confirm tier confirmed | read-only flagged |\n|---|---|---|---|\n"
    );
    let mut total = [0; 6];
    for (name, c) in per_file {
        let _ = writeln!(
            section,
            "| {name} | {}/{} | {}/{} | {}/{} |",
            c[1], c[0], c[3], c[2], c[5], c[4]
        );
        for (t, n) in total.iter_mut().zip(c) {
            *t += n;
        }
    }
    let _ = writeln!(
        section,
        "| **all** | **{}/{}** | **{}/{}** | **{}/{}** |",
        total[1], total[0], total[3], total[2], total[5], total[4]
    );
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/packs.md");
    let kept = std::fs::read_to_string(&path).unwrap();
    let (rules, published) = kept
        .split_once(&format!("\n{CORPUS_HEADING}"))
        .map_or((kept.as_str(), ""), |(r, p)| (r, p));
    let published = format!("{CORPUS_HEADING}{published}");
    if std::env::var_os("GUARD_BLESS").is_some() {
        std::fs::write(&path, format!("{rules}\n{section}")).unwrap();
    } else {
        assert!(
            published == section,
            "docs/packs.md's corpus figures are out of date: run the tests with GUARD_BLESS=1 and commit"
        );
    }
}
