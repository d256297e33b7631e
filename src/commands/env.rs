//! `guard env`: shell code that puts the shim directory first on PATH.

use crate::cli::Shell;
use std::path::Path;

pub fn run(shell: Shell, shim_dir: &Path, custom_dir: bool) -> anyhow::Result<()> {
    let dir = shim_dir.to_str().ok_or_else(|| {
        anyhow::anyhow!("shim directory {} is not valid UTF-8", shim_dir.display())
    })?;
    let quoted = shlex::try_quote(dir)?;
    match shell {
        Shell::Bash | Shell::Zsh => {
            println!("export PATH={quoted}:\"$PATH\"");
            if custom_dir {
                println!("export GUARD_SHIM_DIR={quoted}");
            }
        }
        Shell::Fish => {
            println!("set -gx PATH {quoted} $PATH");
            if custom_dir {
                println!("set -gx GUARD_SHIM_DIR {quoted}");
            }
        }
    }
    Ok(())
}
