//! guard's integration tests: one binary, one module per behaviour, each driving the real
//! `guard` binary inside a private sandbox (see `sandbox`).

mod sandbox;

mod properties;

mod allow;
mod audit;
mod bad_input;
mod confirm;
mod corpus;
mod docs;
mod doctor;
mod e2e_curl;
mod e2e_git;
mod e2e_postgres;
mod explain;
mod fuzz_replay;
mod hooks;
mod install;
mod lint;
mod messages;
mod railway;
mod rm;
mod rule_index;
mod run;
mod self_approval;
mod shim;
mod strict;
mod tiers;
mod where_others_fail;
