//! The one error channel: every command returns `Result<_, Error>`, an error knows its exit
//! code and its message, and `main` prints it once. Nothing else prints an error and exits.

use crate::exit;

#[derive(Debug)]
pub struct Error {
    code: u8,
    /// Printed after `guard: `; `None` when the command already reported (lint's diagnostics).
    message: Option<String>,
}

pub type Result<T = ()> = std::result::Result<T, Error>;

impl Error {
    /// The command was refused: denied, not approved, no human to ask (exit 126).
    pub fn refused(message: impl Into<String>) -> Error {
        Error::with_code(exit::REFUSED, message)
    }

    /// The subcommand failed: bad state, I/O, nothing found (exit 1).
    pub fn failed(message: impl Into<String>) -> Error {
        Error::with_code(exit::FAILURE, message)
    }

    /// The subcommand was misused (exit 2).
    pub fn usage(message: impl Into<String>) -> Error {
        Error::with_code(exit::USAGE, message)
    }

    pub fn with_code(code: u8, message: impl Into<String>) -> Error {
        Error {
            code,
            message: Some(message.into()),
        }
    }

    /// Exit with `code`; what went wrong is already on the output (lint's findings).
    pub fn reported(code: u8) -> Error {
        Error {
            code,
            message: None,
        }
    }

    pub fn code(&self) -> u8 {
        self.code
    }

    pub fn message(&self) -> Option<&str> {
        self.message.as_deref()
    }
}

/// I/O and state errors carry their context chain; they fail the subcommand.
impl From<anyhow::Error> for Error {
    fn from(e: anyhow::Error) -> Error {
        Error::failed(format!("error: {e:#}"))
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Error {
        Error::from(anyhow::Error::from(e))
    }
}

/// A shim whose real tool is not on PATH (exit 127, as a shell's "command not found").
impl From<crate::resolve::NotFound> for Error {
    fn from(e: crate::resolve::NotFound) -> Error {
        let tool = e.tool.clone();
        Error::with_code(
            exit::NOT_FOUND,
            format!("{e}\nhint: install {tool}, or `guard uninstall {tool}` to remove the shim"),
        )
    }
}

/// Rules that do not load refuse whatever needed them.
impl From<crate::layers::LoadError> for Error {
    fn from(e: crate::layers::LoadError) -> Error {
        Error::refused(crate::display::escape_lines(&format!("refused: {e}")))
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.message.as_deref().unwrap_or("(reported above)"))
    }
}

/// Where a panic happened, as ` at FILE:LINE` (empty when unknown): the panic hooks name the
/// place, never the panic's own text.
pub fn panic_place(info: &std::panic::PanicHookInfo) -> String {
    info.location()
        .map(|l| format!(" at {}:{}", l.file(), l.line()))
        .unwrap_or_default()
}
