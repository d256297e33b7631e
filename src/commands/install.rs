//! `guard install` / `guard uninstall`: symlinks named after tools, all pointing at guard.

use crate::layers::{Scope, load};
use crate::paths::Dirs;
use crate::resolve::real_tool_path;
use anyhow::{Context, bail};
use std::os::unix::fs::MetadataExt;
use std::path::Path;

pub fn install(dirs: &Dirs, shim_dir: &Path, tools: &[String], all: bool) -> anyhow::Result<()> {
    let guard_exe = guard_exe()?;
    let path_var = std::env::var_os("PATH");
    let tools: Vec<String> = if all {
        let (rules, _) = load(dirs, Scope::All, crate::state::now())?;
        rules
            .tools(false)
            .into_iter()
            .filter(|t| real_tool_path(t, path_var.as_deref(), shim_dir, &guard_exe).is_ok())
            .map(str::to_string)
            .collect()
    } else {
        tools.to_vec()
    };
    for tool in &tools {
        check_tool_name(tool)?;
    }
    std::fs::create_dir_all(shim_dir)
        .with_context(|| format!("creating shim directory {}", shim_dir.display()))?;
    for tool in &tools {
        let link = shim_dir.join(tool);
        match std::fs::symlink_metadata(&link) {
            Ok(_) if is_guard(&link, &guard_exe) => {}
            Ok(_) => bail!(
                "{} already exists and is not a guard shim; remove it or choose another --dir",
                link.display()
            ),
            Err(_) => std::os::unix::fs::symlink(&guard_exe, &link)
                .with_context(|| format!("creating shim {}", link.display()))?,
        }
        if real_tool_path(tool, path_var.as_deref(), shim_dir, &guard_exe).is_err() {
            eprintln!(
                "guard: warning: {tool} is not on PATH yet; its shim will refuse with exit 127 until it is"
            );
        }
        println!("guarding {tool}: {}", link.display());
    }
    if tools.is_empty() {
        println!("nothing to install: no tool named by the rules is on PATH");
    }
    if !shim_dir_leads_path(shim_dir) {
        eprintln!("guard: the shim directory is not first on PATH; run: eval \"$(guard env)\"");
    }
    Ok(())
}

/// Removing a shim lets its tool run unguarded: with a passphrase set, a human types it.
pub fn uninstall(dirs: &Dirs, shim_dir: &Path, tools: &[String]) -> crate::error::Result {
    let guard_exe = guard_exe()?;
    let config = crate::config::load_checked(dirs)
        .map_err(|d| crate::error::Error::failed(format!("uninstall: {d}")))?;
    let sealed = crate::approval::passphrase_for_loosening(dirs, &config)
        .map_err(|why| crate::error::Error::refused(format!("uninstall: refused: {why}")))?;
    for tool in tools {
        check_tool_name(tool)?;
        let link = shim_dir.join(tool);
        if std::fs::symlink_metadata(&link).is_err() {
            println!("{tool} was not guarded");
            continue;
        }
        if !is_guard(&link, &guard_exe) {
            return Err(crate::error::Error::failed(format!(
                "uninstall: {} is not a guard shim; leaving it alone",
                link.display()
            )));
        }
        std::fs::remove_file(&link).with_context(|| format!("removing {}", link.display()))?;
        println!("removed shim {}", link.display());
    }
    crate::audit::record_loosening(&dirs.state, sealed.is_some())?;
    if sealed.is_none() && !tools.is_empty() {
        eprintln!(
            "guard: no passphrase is set, so anything running as you could remove shims too; `guard passphrase set` closes that"
        );
    }
    Ok(())
}

pub fn guard_exe() -> anyhow::Result<std::path::PathBuf> {
    let exe = std::env::current_exe().context("locating the guard binary")?;
    std::fs::canonicalize(&exe).with_context(|| format!("resolving {}", exe.display()))
}

fn check_tool_name(tool: &str) -> anyhow::Result<()> {
    if tool.is_empty() || tool.contains('/') || tool.starts_with('-') || tool == "guard" {
        bail!("`{tool}` is not a tool name guard can shim (a bare command name, not `guard`)");
    }
    Ok(())
}

pub fn is_guard(link: &Path, guard_exe: &Path) -> bool {
    match (std::fs::metadata(link), std::fs::metadata(guard_exe)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

pub fn shim_dir_leads_path(shim_dir: &Path) -> bool {
    let first = std::env::var_os("PATH")
        .and_then(|p| std::env::split_paths(&p).next())
        .and_then(|d| std::fs::canonicalize(d).ok());
    first.is_some() && first == std::fs::canonicalize(shim_dir).ok()
}
