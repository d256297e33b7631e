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
                let outcome = std::panic::catch_unwind(|| run(&data));
                assert!(outcome.is_ok(), "{} panicked", path.display());
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
