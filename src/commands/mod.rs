//! One module per `guard` subcommand.

pub mod allow;
pub mod disable;
pub mod docs;
pub mod doctor;
pub mod env;
pub mod explain;
pub mod hook;
pub mod install;
pub mod lint;
pub mod lock;
pub mod log;
pub mod passphrase;
pub mod rules;
pub mod run;

use crate::cli::{Command, HookAction};
use crate::error::{Error, Result};
use crate::paths::Dirs;

/// Run a subcommand; an error carries its exit status (`error::Error`).
pub fn dispatch(command: Command) -> Result {
    let dirs = Dirs::from_env();
    match command {
        Command::Install { tools, all, dir } => {
            install::install(&dirs, &dirs.shim_dir(dir), &tools, all)?
        }
        Command::Uninstall { tools, dir } => {
            install::uninstall(&dirs, &dirs.shim_dir(dir), &tools)?
        }
        Command::Env { shell, dir } => {
            let custom = dir.is_some();
            env::run(shell, &dirs.shim_dir(dir), custom)?
        }
        Command::Explain {
            json,
            shell: Some(text),
            ..
        } => explain::run_shell(&dirs, &text, json)?,
        Command::Explain { json, command, .. } => {
            explain::run(&dirs, &dirs.shim_dir(None), &command, json)?
        }
        Command::Rules {
            tool,
            json,
            markdown,
        } => rules::run(&dirs, tool.as_deref(), json, markdown)?,
        Command::Allow(args) => allow::run(&dirs, args)?,
        Command::Log {
            lines,
            json,
            denied,
        } => log::run(&dirs, lines, json, denied)?,
        Command::Passphrase { action } => passphrase::run(&dirs, action)?,
        Command::Disable { ids } => disable::run(&dirs, &ids)?,
        Command::Lock => lock::run(&dirs)?,
        Command::Doctor { json, dir } => doctor::run(&dirs, &dirs.shim_dir(dir), json)?,
        Command::Run {
            dir,
            strict,
            command,
        } => run::run(&dirs, &dirs.shim_dir(dir), &command, strict)?,
        Command::Hook(args) => match (args.action, args.agent) {
            (Some(HookAction::Install { agent, system }), _) => {
                hook::install(&dirs, agent, system)?
            }
            (Some(HookAction::Uninstall { agent, system }), _) => {
                hook::uninstall(&dirs, agent, system)?
            }
            (None, Some(agent)) => hook::run(&dirs, agent)?,
            (None, None) => return Err(Error::usage("hook: name an agent")),
        },
        Command::Schema => println!("{}", docs::schema()),
        Command::Completions { shell } => print!("{}", docs::completions(shell)),
        Command::Man => print!("{}", docs::man_page()?),
        Command::Lint {
            paths,
            format,
            deny_warnings,
        } => lint::run(&dirs, &paths, format, deny_warnings)?,
    }
    Ok(())
}
