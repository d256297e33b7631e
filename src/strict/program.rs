//! The program an exec runs, as the gate must judge it: the file it names in the caller's
//! view (its cwd, root or a directory descriptor), a script's interpreter, the program the
//! dynamic loader is asked to run, and the names a program goes by.

use super::memory::{self, Identity};
use nix::unistd::Pid;
use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt as _;
use std::path::{Path, PathBuf};

/// The file an exec names, as the process sees it (its cwd, or the directory `dirfd` names).
pub(super) fn resolve(pid: Pid, dirfd: i32, path: &OsStr, flags: i32) -> PathBuf {
    let base = if dirfd == libc::AT_FDCWD {
        memory::proc_path(pid, "cwd")
    } else {
        memory::proc_path(pid, &format!("fd/{dirfd}"))
    };
    if path.is_empty() && flags & libc::AT_EMPTY_PATH != 0 {
        return base;
    }
    let path = Path::new(path);
    if path.is_absolute() {
        memory::proc_path(pid, "root").join(path.strip_prefix("/").unwrap_or(path))
    } else {
        base.join(path)
    }
}

/// A script's interpreter, followed through `#!` chains (as the kernel does, to a bound):
/// the identity of the program that will really run.
pub(super) fn interpreter(file: &Path, depth: usize) -> Option<Identity> {
    use std::io::Read as _;
    let mut head = [0u8; 256];
    let n = std::fs::File::open(file).ok()?.read(&mut head).ok()?;
    let line = head[..n].strip_prefix(b"#!")?;
    let line = &line[..line.iter().position(|&b| b == b'\n').unwrap_or(line.len())];
    let interp = line
        .split(|&b| b == b' ' || b == b'\t')
        .find(|w| !w.is_empty())?;
    let interp = Path::new(OsStr::from_bytes(interp));
    if depth < 4
        && let Some(next) = interpreter(interp, depth + 1)
    {
        return Some(next);
    }
    memory::identity(interp).ok()
}

/// `ld-linux-x86-64.so.2`, `ld-linux-aarch64.so.1`, `ld-musl-x86_64.so.1`, `ld.so`.
pub(super) fn is_loader(name: &str) -> bool {
    (name.starts_with("ld-") || name.starts_with("ld.so") || name.starts_with("ld64.so"))
        && name.contains(".so")
}

/// What a loader invocation runs: the program, its arguments, and the `--argv0` it is given.
pub(super) fn loader_target(
    args: &[OsString],
) -> Option<(OsString, Vec<OsString>, Option<String>)> {
    const WITH_VALUE: &[&str] = &[
        "--library-path",
        "--glibc-hwcaps-prepend",
        "--glibc-hwcaps-mask",
        "--inhibit-rpath",
        "--audit",
        "--preload",
        "--argv0",
    ];
    let mut argv0 = None;
    let mut i = 0;
    while let Some(a) = args.get(i) {
        let text = a.to_string_lossy();
        if !text.starts_with("--") {
            let rest = args[i + 1..].to_vec();
            return Some((a.clone(), rest, argv0));
        }
        if WITH_VALUE.contains(&text.as_ref()) {
            if text == "--argv0" {
                argv0 = args.get(i + 1).map(|v| basename(v));
            }
            i += 2;
        } else {
            i += 1;
        }
    }
    None
}

/// The directory a `/proc/PID/cwd` link names.
pub(super) fn real_cwd(cwd: &Path) -> PathBuf {
    std::fs::read_link(cwd).unwrap_or_else(|_| cwd.to_path_buf())
}

pub(super) fn basename(word: &OsStr) -> String {
    crate::shell::basename(&word.to_string_lossy()).to_string()
}
