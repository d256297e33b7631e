//! Entry point: invoked as `guard` it is the CLI; invoked under any other name (a shim symlink)
//! it guards the tool of that name. Parse, dispatch, map errors to exit codes: nothing else.
//!
//! `no_main`: every intercepted command pays guard's start-up, and std's runtime set-up (the
//! main thread's stack-overflow guard reads /proc/self/maps) was a fifth of it. Without it,
//! std also leaves SIGPIPE alone, so the tool guard execs inherits the disposition guard was
//! started with, as it would have without guard.

#![no_main]

use clap::Parser;
use guard::{cli, commands, error::Error, exit, shim};
use std::io::Write as _;

/// The C entry point. std still captures argv on Linux (glibc passes it to .init_array
/// functions), so `std::env::args_os` works as usual.
#[unsafe(no_mangle)]
extern "C" fn main(
    _argc: std::ffi::c_int,
    _argv: *const *const std::ffi::c_char,
) -> std::ffi::c_int {
    let code = run();
    // No runtime shutdown runs after this, so flush what is buffered ourselves.
    let _ = std::io::stdout().flush();
    std::ffi::c_int::from(code)
}

fn run() -> u8 {
    // A panic is guard's own failure: never a backtrace, never the command run anyway. It
    // refuses (126); the hooks install their own (a deny, exit 2).
    std::panic::set_hook(Box::new(|info| {
        let at = guard::error::panic_place(info);
        eprintln!(
            "guard: refused: guard failed inside{at}, so nothing was run; please report this (and run `guard doctor`)"
        );
        std::process::exit(guard::exit::REFUSED.into());
    }));
    let argv: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let invoked_as = argv
        .first()
        .map(|a| std::path::Path::new(a).file_name().unwrap_or(a.as_os_str()))
        .unwrap_or_default();
    if invoked_as != "guard" && !invoked_as.is_empty() {
        let Some(tool) = invoked_as.to_str() else {
            return report(Error::refused(format!(
                "invoked as {invoked_as:?}, a name that is not valid UTF-8; shims must be named after a tool"
            )));
        };
        // Returns only when the tool was not exec'd.
        return report(shim::run(tool, argv.clone()));
    }
    let cli = match cli::Cli::try_parse_from(&argv) {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { exit::USAGE } else { 0 };
        }
    };
    match commands::dispatch(cli.command) {
        Ok(()) => 0,
        Err(e) => report(e),
    }
}

/// The one place an error is printed: once, then its exit code.
fn report(e: Error) -> u8 {
    if let Some(message) = e.message() {
        eprintln!("guard: {message}");
    }
    e.code()
}
