//! Every fuzz seed and every input a fuzzer ever failed on (fuzz/seeds/TARGET/*,
//! fuzz/regressions/TARGET/*) runs through the same function the fuzz target calls, in the
//! normal suite: a failure found once stays fixed. (scripts/fuzz runs the fuzzers themselves.)

#[path = "../fuzz/src/lib.rs"]
#[allow(dead_code)]
mod entries;

#[test]
fn every_seed_and_every_kept_failure_is_handled() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut replayed = 0;
    for (name, run) in entries::TARGETS {
        for kind in ["seeds", "regressions"] {
            let Ok(dir) = std::fs::read_dir(root.join(kind).join(name)) else {
                continue;
            };
            for file in dir {
                let path = file.unwrap().path();
                let data = std::fs::read(&path).unwrap();
                if name == "shell_analysis" && kind == "regressions" {
                    // These overflowed a stack or ran for minutes: through the real binary,
                    // so a slow analysis left behind ends with it, not with this suite.
                    replay_shell_string(&path, &data);
                } else {
                    let outcome = std::panic::catch_unwind(|| run(&data));
                    assert!(outcome.is_ok(), "{} panicked", path.display());
                }
                replayed += 1;
            }
        }
    }
    assert!(
        replayed >= entries::TARGETS.len(),
        "no seeds found under {}",
        root.display()
    );
}

/// `guard hook claude` given `data` as the command: an ask or a deny, never a crash and never
/// silence (each holds a destructive command, or cannot be analysed).
fn replay_shell_string(path: &std::path::Path, data: &[u8]) {
    let sb = crate::sandbox::Sandbox::new();
    let command = String::from_utf8_lossy(data);
    let out = crate::hooks::hook(
        &sb,
        "claude",
        &crate::hooks::payload("claude", &command, sb.root.path()),
    );
    let err = String::from_utf8_lossy(&out.stderr);
    let answered =
        out.status.code() == Some(2) || (out.status.code() == Some(0) && !out.stdout.is_empty());
    assert!(
        answered && !err.contains("panicked"),
        "{}: {:?} {err}",
        path.display(),
        out.status
    );
}
