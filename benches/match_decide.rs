//! The pure core's cost per call: loading one tool's rules (compiled at build time) and
//! deciding a command against them. Run: cargo bench --bench match_decide

use criterion::{Criterion, criterion_group, criterion_main};
use guard::layers::{Scope, load};
use guard::paths::Dirs;
use guard::rules::content::NoInputs;
use guard::rules::decision::decide;
use std::ffi::OsString;
use std::hint::black_box;
use std::path::PathBuf;
use std::time::SystemTime;

fn no_user_layers() -> Dirs {
    Dirs::rooted(&PathBuf::from("/nonexistent/guard-bench"))
}

fn args(line: &str) -> Vec<OsString> {
    shlex::split(line)
        .unwrap()
        .into_iter()
        .map(OsString::from)
        .collect()
}

fn bench(c: &mut Criterion) {
    let dirs = no_user_layers();
    c.bench_function("load railway rules", |b| {
        b.iter(|| load(black_box(&dirs), Scope::Tool("railway"), SystemTime::now()).unwrap())
    });
    let (rules, _) = load(&dirs, Scope::Tool("railway"), SystemTime::now()).unwrap();
    for line in [
        "status",
        "volume -e production delete -v pg-data",
        r#"api 'mutation { volumeDelete(volumeId: "3d2c42fb") }'"#,
    ] {
        let argv = args(line);
        c.bench_function(&format!("decide railway {line}"), |b| {
            b.iter(|| {
                decide(
                    black_box(&rules),
                    "railway",
                    black_box(&argv),
                    &[],
                    &NoInputs,
                )
            })
        });
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
