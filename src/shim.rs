//! guard invoked through a shim (argv[0] is a tool's name): resolve the real tool, load that
//! tool's rules, decide, then exec it untouched or refuse with the reasons.

use crate::decision::{Decision, decide};
use crate::display::{matched_rules, tool_line};
use crate::exec::{MAX_DEPTH, current_depth, exec_real_tool};
use crate::exit;
use crate::paths::Dirs;
use crate::resolve::real_tool_path;
use crate::rules::Action;
use crate::rules::load::{Scope, load};
use std::ffi::OsString;

/// Run as the shim for `tool`. Returns the exit status when the tool is not exec'd.
pub fn run(tool: &str, argv: Vec<OsString>) -> u8 {
    let depth = current_depth();
    if depth >= MAX_DEPTH {
        eprintln!(
            "guard: {tool}: shim loop: guard was entered {depth} times in a row without reaching the real {tool}\n\
             hint: something on PATH after the shim directory calls `{tool}` by name again; check `type -a {tool}`"
        );
        return exit::REFUSED;
    }
    let dirs = Dirs::from_env();
    let shim_dir = dirs.shim_dir(None);
    let guard_exe = std::env::current_exe().unwrap_or_default();
    let path_var = std::env::var_os("PATH");
    let real = match real_tool_path(tool, path_var.as_deref(), &shim_dir, &guard_exe) {
        Ok(real) => real,
        Err(e) => {
            eprintln!(
                "guard: {e}\nhint: install {tool}, or `guard uninstall {tool}` to remove the shim"
            );
            return exit::NOT_FOUND;
        }
    };
    let rules = match load(&dirs, Scope::Tool(tool)) {
        Ok(rules) => rules,
        Err(e) => {
            eprintln!("guard: {tool}: refused: {e}");
            return exit::REFUSED;
        }
    };
    let env: Vec<(OsString, OsString)> = std::env::vars_os().collect();
    let decision = decide(&rules, tool, &argv[1..], &env);
    match decision.action {
        Action::Allow => {}
        Action::Confirm => {
            refuse(
                &decision,
                &argv,
                "needs a human's confirmation, and no terminal is available to ask",
            );
            return exit::REFUSED;
        }
        Action::Deny => {
            refuse(&decision, &argv, "denied");
            return exit::REFUSED;
        }
    }
    let err = exec_real_tool(&real, &argv, depth);
    eprintln!("guard: {tool}: could not execute {}: {err}", real.display());
    exit::REFUSED
}

fn refuse(decision: &Decision, argv: &[OsString], why: &str) {
    let style = crate::style::Style::for_stderr();
    eprint!(
        "guard: {} {}\n{}{}guard: a human can run it from their own terminal; an agent cannot approve it.\n",
        style.paint("refused:", crate::style::Style::RED),
        tool_line(&decision.tool, &argv[1..]),
        format_args!("guard: {why}:\n"),
        matched_rules(decision),
    );
}
