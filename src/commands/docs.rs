//! Documentation generated from the code, so it cannot drift: the rule format's JSON Schema,
//! shell completions and the man page. The repository keeps copies; tests compare them.

use crate::cli::{Cli, Shell};
use crate::rules::model::PackSpec;
use clap::CommandFactory;

pub fn schema() -> String {
    let schema = schemars::schema_for!(PackSpec);
    serde_json::to_string_pretty(&schema).expect("a schema serializes")
}

pub fn completions(shell: Shell) -> String {
    let shell = match shell {
        Shell::Bash => clap_complete::Shell::Bash,
        Shell::Zsh => clap_complete::Shell::Zsh,
        Shell::Fish => clap_complete::Shell::Fish,
    };
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "guard", &mut out);
    String::from_utf8(out).expect("completions are UTF-8")
}

pub fn man_page() -> anyhow::Result<String> {
    let mut out = Vec::new();
    clap_mangen::Man::new(Cli::command()).render(&mut out)?;
    Ok(String::from_utf8(out)?)
}
