//! Entry point: invoked as `guard` it is the CLI; invoked under any other name (a shim symlink)
//! it guards the tool of that name. Parse, dispatch, map errors to exit codes: nothing else.

use clap::Parser;
use guard::{cli, commands, exit, shim};
use std::process::ExitCode;

fn main() -> ExitCode {
    let argv: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let invoked_as = argv
        .first()
        .map(|a| std::path::Path::new(a).file_name().unwrap_or(a.as_os_str()))
        .unwrap_or_default();
    if invoked_as != "guard" && !invoked_as.is_empty() {
        let Some(tool) = invoked_as.to_str() else {
            eprintln!(
                "guard: invoked as {invoked_as:?}, a name that is not valid UTF-8; shims must be named after a tool"
            );
            return ExitCode::from(exit::REFUSED);
        };
        return ExitCode::from(shim::run(tool, argv.clone()));
    }
    let cli = match cli::Cli::try_parse_from(&argv) {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { exit::USAGE } else { 0 });
        }
    };
    match commands::dispatch(cli.command) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("guard: error: {e:#}");
            ExitCode::from(exit::FAILURE)
        }
    }
}
