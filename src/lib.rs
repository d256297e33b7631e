//! guard: stands between AI coding agents and the tools that can destroy production.
//! The binary (`main.rs`) only dispatches; everything it runs lives in these modules.

pub mod agent;
pub mod approval;
pub mod audit;
pub mod cli;
pub mod commands;
pub mod config;
pub mod display;
pub mod error;
pub mod exec;
pub mod exit;
pub mod hook;
pub mod host;
pub mod layers;
pub mod lint;
pub mod paths;
pub mod resolve;
pub mod rules;
pub mod shell;
pub mod shim;
pub mod state;
#[cfg(target_os = "linux")]
pub mod strict;
pub mod style;
