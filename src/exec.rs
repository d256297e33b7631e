//! The only place a process is replaced: guard execs the real tool with the caller's argv,
//! environment, cwd and file descriptors, and is gone. It never stays behind as a parent.

use std::ffi::{CString, OsString};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// Environment variable counting nested guard execs, so a PATH loop guard cannot see through
/// (a wrapper script that calls the tool by name again) ends with an error, not a fork bomb.
pub const DEPTH_VAR: &str = "GUARD_SHIM_DEPTH";
/// Nesting beyond this is a loop: real chains (git → hook → git, railway → psql) stay far below.
pub const MAX_DEPTH: u32 = 8;

/// Replace this process with `program`, passing `argv` (argv[0] included) unchanged.
/// Returns only on failure.
pub fn exec_real_tool(program: &Path, argv: &[OsString], depth: u32) -> std::io::Error {
    let Ok(path) = CString::new(program.as_os_str().as_bytes()) else {
        return std::io::Error::other("path contains a NUL byte");
    };
    // argv from the kernel cannot hold NUL bytes, so this never drops an argument.
    let Ok(args) = argv
        .iter()
        .map(|a| CString::new(a.as_bytes()))
        .collect::<Result<Vec<_>, _>>()
    else {
        return std::io::Error::other("argument contains a NUL byte");
    };
    // SAFETY: the shim has started no threads, so nothing reads the environment concurrently.
    // (Signal dispositions need no care: `no_main` keeps std from ignoring SIGPIPE, so the tool
    // inherits exactly what guard was started with.)
    unsafe {
        std::env::set_var(DEPTH_VAR, (depth + 1).to_string());
        // A hook's ticket was for guard (`approval::ticket`); the tool never sees it.
        std::env::remove_var(crate::approval::ticket::VAR);
    }
    match nix::unistd::execv(&path, &args) {
        Err(errno) => std::io::Error::from(errno),
        Ok(never) => match never {},
    }
}

/// The nesting depth this process was started at (0 when not started by guard).
pub fn current_depth() -> u32 {
    std::env::var(DEPTH_VAR)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}
