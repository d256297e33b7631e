//! The opt-in rm pack: recursive removal of what cannot be rebuilt is refused wherever the
//! arguments really point; ordinary cleanup is not. A fake rm records what would have run.

use crate::sandbox::{Sandbox, stderr};
use assert_cmd::prelude::*;

fn sandbox() -> Sandbox {
    Sandbox::guarding("rm")
}

#[test]
fn recursive_removal_of_critical_paths_is_refused() {
    let sb = sandbox();
    let home = nix::unistd::User::from_uid(nix::unistd::getuid())
        .unwrap()
        .unwrap()
        .dir;
    let repo = sb.path("work/repo");
    std::fs::create_dir_all(repo.join(".git")).unwrap();
    let cases: Vec<Vec<String>> = vec![
        vec!["-rf".into(), "/".into()],
        vec!["-rf".into(), "/usr".into(), "/etc".into()],
        vec!["-r".into(), home.display().to_string()],
        vec!["-rf".into(), ".".into()],
        vec!["--recursive".into(), repo.display().to_string()],
        vec![
            "-Rf".into(),
            sb.root
                .path()
                .join("work/repo/../repo/")
                .display()
                .to_string(),
        ],
    ];
    for args in cases {
        let out = sb.run("rm").args(&args).output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(126),
            "rm {args:?}: {}",
            stderr(&out)
        );
        assert!(
            stderr(&out).contains("  deny    rm.recursive.critical: "),
            "rm {args:?} refused by its rule: {}",
            stderr(&out)
        );
    }
    assert_eq!(sb.runs("rm"), 0);
}

#[test]
fn ordinary_cleanup_is_allowed() {
    let sb = sandbox();
    std::fs::create_dir_all(sb.path("work/repo/.git")).unwrap();
    std::fs::create_dir_all(sb.path("work/repo/build")).unwrap();
    std::fs::create_dir_all(sb.path("work/repo/node_modules")).unwrap();
    sb.run("rm")
        .args(["-rf", "work/repo/build", "work/repo/node_modules"])
        .assert()
        .success();
    let tmp = tempfile::tempdir().unwrap();
    sb.run("rm").arg("-rf").arg(tmp.path()).assert().success();
    sb.run("rm")
        .args(["-f", "/etc/nonexistent-file"])
        .assert()
        .success();
    assert_eq!(sb.runs("rm"), 3);
}

#[test]
fn install_all_leaves_rm_alone() {
    let sb = Sandbox::new();
    sb.fake_tool("rm");
    sb.fake_tool("psql");
    sb.guard().args(["install", "--all"]).assert().success();
    assert!(sb.shims().join("psql").exists());
    assert!(!sb.shims().join("rm").exists(), "rm is opt-in");
}
