//! `guard lint`: print diagnostics in the chosen format and exit 0 (clean), 1 (problems found,
//! an unreadable file among them) or 2 (a path that does not exist).

use crate::cli::LintFormat;
use crate::error::{Error, Result};
use crate::exit;
use crate::lint::{lint_layers, lint_paths, render, source_text};
use crate::paths::Dirs;
use crate::style::Style;
use std::path::PathBuf;

pub fn run(dirs: &Dirs, paths: &[PathBuf], format: LintFormat, deny_warnings: bool) -> Result {
    let diags = if paths.is_empty() {
        lint_layers(dirs)
    } else {
        lint_paths(paths).map_err(|e| Error::usage(format!("lint: {e}")))?
    };
    match format {
        LintFormat::Human => print!(
            "{}",
            render::human(&diags, Style::for_stdout(), source_text)
        ),
        LintFormat::Json => println!("{}", render::json(&diags)),
        LintFormat::Github => print!("{}", render::github(&diags)),
    }
    let failing = diags.iter().any(|d| d.is_error() || deny_warnings);
    if failing {
        Err(Error::reported(exit::FAILURE))
    } else {
        Ok(())
    }
}
