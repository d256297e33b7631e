//! guard's own exit codes; documented in the README and never renumbered. Every other status a
//! caller sees through a shim is the real tool's own.

/// A guard subcommand failed (I/O, bad state).
pub const FAILURE: u8 = 1;
/// Bad usage of a guard subcommand (clap's convention).
pub const USAGE: u8 = 2;
/// The command was refused: denied, not confirmed, or the rules could not be loaded.
pub const REFUSED: u8 = 126;
/// The real tool was not found on PATH.
pub const NOT_FOUND: u8 = 127;
