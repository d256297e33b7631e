//! `guard lint`: print diagnostics in the chosen format and exit 0 (clean), 1 or 2.

use crate::cli::LintFormat;
use crate::exit;
use crate::lint::{lint_layers, lint_paths, render, source_text};
use crate::paths::Dirs;
use crate::style::Style;
use std::path::PathBuf;

pub fn run(dirs: &Dirs, paths: &[PathBuf], format: LintFormat, deny_warnings: bool) -> u8 {
    let diags = if paths.is_empty() {
        lint_layers(dirs)
    } else {
        match lint_paths(paths) {
            Ok(diags) => diags,
            Err(e) => {
                eprintln!("guard: lint: {e}");
                return exit::USAGE;
            }
        }
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
    if failing { exit::FAILURE } else { 0 }
}
