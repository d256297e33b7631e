//! The `guard` command line (clap derive). Parsing only; each subcommand lives in `commands/`.

use clap::{Parser, Subcommand, ValueEnum};
use std::ffi::OsString;
use std::path::PathBuf;

/// Stands between AI coding agents and the tools that can destroy production.
///
/// Install shims for the tools you want guarded, put the shim directory first on PATH, and every
/// call to those tools is checked against the rules: allowed (run untouched), confirmed by a
/// human at the terminal, or denied.
#[derive(Debug, Parser)]
#[command(
    name = "guard",
    version,
    after_help = "Quick start:\n  guard install --all\n  eval \"$(guard env)\"\n  guard explain -- railway volume delete --volume pg-data\n\nExit codes: 126 refused, 127 real tool not found, otherwise the tool's own.\nDocs: README.md, docs/rules.md"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Put shims (symlinks to guard) for TOOLs into the shim directory.
    #[command(
        after_help = "Examples:\n  guard install railway psql terraform curl\n  guard install --all"
    )]
    Install {
        /// Tools to guard, by command name.
        #[arg(required_unless_present = "all", conflicts_with = "all")]
        tools: Vec<String>,
        /// Every tool named by the loaded rules that exists on PATH.
        #[arg(long)]
        all: bool,
        /// Shim directory [default: $GUARD_SHIM_DIR, else $XDG_DATA_HOME/guard/shims].
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
    /// Remove the shims for TOOLs.
    Uninstall {
        #[arg(required = true)]
        tools: Vec<String>,
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
    /// Print shell code that puts the shim directory first on PATH: eval "$(guard env)".
    Env {
        #[arg(long, value_enum, default_value_t = Shell::Bash)]
        shell: Shell,
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
    /// Show what guard would decide for a command, and why, without running it.
    #[command(
        after_help = "Example:\n  guard explain --json -- railway volume delete --volume pg-data"
    )]
    Explain {
        /// Print one JSON object: decision, rules[].{id,action,reason,source}, real_path.
        #[arg(long)]
        json: bool,
        /// A shell command string, judged as bash would run it: every simple command in it
        /// (pipelines, lists, substitutions, `sh -c`, wrappers), the strictest decision wins.
        #[arg(long, value_name = "STRING", conflicts_with = "command")]
        shell: Option<String>,
        /// The command: TOOL then its arguments (put `--` before it).
        #[arg(required_unless_present = "shell", num_args = 1.., trailing_var_arg = true, allow_hyphen_values = true, value_parser = clap::builder::OsStringValueParser::new())]
        command: Vec<OsString>,
    },
    /// Let a refused command run: approve a pending request, or pre-approve an exact command.
    #[command(
        after_help = "Approving needs a human at an interactive terminal (and the passphrase, if one is set).\n\nExamples:\n  guard allow                      list pending requests and pick one\n  guard allow 3fa2c1               approve pending request 3fa2c1 (1 use, 10 minutes)\n  guard allow --uses 3 --for 1h -- railway down -y\n  guard allow --list               live grants\n  guard allow --revoke 3fa2c1      (or --revoke --all)"
    )]
    Allow(AllowArgs),
    /// Show the audit log, newest last.
    Log {
        /// How many entries.
        #[arg(short = 'n', long, default_value_t = 20)]
        lines: usize,
        /// One JSON object per line.
        #[arg(long)]
        json: bool,
        /// Only refused commands.
        #[arg(long)]
        denied: bool,
    },
    /// Set or clear the passphrase that approvals (and, if configured, confirmations) require.
    Passphrase {
        #[arg(value_enum)]
        action: PassphraseAction,
    },
    /// Run a program (an agent) with the shim directory first on PATH for its whole process
    /// tree, marked as a guard run session in the audit log.
    #[command(
        after_help = "Example:\n  guard run -- claude\n\nExit status: the program's own (128 + N if signal N killed it)."
    )]
    Run {
        /// Shim directory [default: $GUARD_SHIM_DIR, else $XDG_DATA_HOME/guard/shims].
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
        /// Judge every exec of the tree, by its real program and arguments, race-free
        /// (Linux: seccomp and ptrace; docs/strict-mode.md). Refuses to start where it cannot.
        #[arg(long)]
        strict: bool,
        /// The program and its arguments.
        #[arg(required = true, trailing_var_arg = true, allow_hyphen_values = true)]
        command: Vec<OsString>,
    },
    /// Check that this set-up protects you: shims and PATH, real tools, rules, state, the
    /// passphrase and the lock, and the bypasses left open; each problem with its fix.
    #[command(after_help = "Exit status: 0 when no check fails (warnings allowed), 1 otherwise.")]
    Doctor {
        /// Print the checks as JSON: [{check, status: ok|warn|fail, detail, fix}].
        #[arg(long)]
        json: bool,
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
    /// Lock the machine (run with sudo): /etc/guard/config.yaml takes your passphrase's hash
    /// and key and requires the passphrase for every approval, and your own rule layer may
    /// then only tighten (no `disable` of yours counts).
    #[command(
        after_help = "Example:\n  guard passphrase set     # as yourself, first\n  sudo guard lock\n\nUndo by editing /etc/guard/config.yaml as root."
    )]
    Lock,
    /// Switch rules off. With a passphrase set, a human types it and each entry is sealed with
    /// its key; a `disable:` written by hand is then ignored (docs/threat-model.md).
    #[command(
        after_help = "Example:\n  guard disable railway.down\n\nThe entries go to ~/.config/guard/disabled.yaml; `guard rules` lists them."
    )]
    Disable {
        /// Rule ids, as `guard rules` shows them.
        #[arg(required = true)]
        ids: Vec<String>,
    },
    /// Check rule files: syntax, unknown keys, regexes, duplicate ids, examples, dead rules.
    #[command(
        after_help = "With no PATH, lints everything guard loads: bundled packs, /etc/guard and\nyour rules and config. Exit status: 0 clean; 1 problems found (a file that cannot be read is one, G011);\n2 a PATH that does not exist, or bad usage.\n\nExamples:\n  guard lint\n  guard lint --format github rules/\n\nDiagnostic codes: docs/lint.md"
    )]
    Lint {
        /// Rule files or directories of them.
        paths: Vec<PathBuf>,
        #[arg(long, value_enum, default_value_t = LintFormat::Human)]
        format: LintFormat,
        /// Treat warnings as errors (exit 1 when any is found).
        #[arg(long)]
        deny_warnings: bool,
    },
    /// Agents' pre-command hooks: `guard hook AGENT` judges a hook input (JSON on stdin) and
    /// answers in the agent's protocol; `guard hook install AGENT` puts it into the agent's settings.
    #[command(
        args_conflicts_with_subcommands = true,
        subcommand_negates_reqs = true,
        after_help = "`guard hook AGENT` is what agents run, from their hook settings (docs/agents.md). It never\nanswers \"allow\" (but in Cursor, which has no other way to say \"no objection\"): staying\nsilent leaves the agent's own permission prompt in place.\n\nExit status of `guard hook AGENT`: 0 no objection or an ask (JSON on stdout); 2 denied (the\nreason on stderr), also when guard cannot read the input or load its rules.\n\nExamples:\n  guard hook install claude            into ~/.claude/settings.json\n  sudo guard hook install claude --system   into /etc/claude-code/managed-settings.json\n  echo '{\"hook_event_name\":\"PreToolUse\",\"tool_name\":\"Bash\",\"tool_use_id\":\"t\",\"tool_input\":{\"command\":\"railway down\"}}' | guard hook claude"
    )]
    Hook(HookArgs),
    /// Print the JSON Schema of the rule format (docs/guard-rules.schema.json).
    #[command(
        after_help = "For editors with yaml-language-server, start a rule file with:\n  # yaml-language-server: $schema=<path or URL of guard-rules.schema.json>"
    )]
    Schema,
    /// Print shell completions: guard completions bash > /etc/bash_completion.d/guard
    Completions {
        #[arg(value_enum)]
        shell: Shell,
    },
    /// Print the man page (roff): guard man | man -l -
    Man,
    /// List the rules in effect, with the file each comes from.
    Rules {
        /// Only rules for this tool.
        #[arg(long)]
        tool: Option<String>,
        /// One JSON object per rule.
        #[arg(long, conflicts_with = "markdown")]
        json: bool,
        /// A Markdown table per pack (docs/packs.md is this output for the bundled packs).
        #[arg(long)]
        markdown: bool,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LintFormat {
    Human,
    Json,
    Github,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PassphraseAction {
    Set,
    Clear,
}

/// `guard allow`'s arguments; `commands::allow` works on them directly.
#[derive(Debug, Clone, clap::Args)]
pub struct AllowArgs {
    /// The id a refusal printed.
    pub id: Option<String>,
    /// How many times the command may run.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    pub uses: u32,
    /// How long the grant lasts, e.g. 30s, 15m, 2h.
    #[arg(long = "for", value_name = "DURATION", default_value = "10m")]
    pub duration: String,
    /// Directory the command must run in [default: the request's, or the current one].
    #[arg(long, value_name = "DIR")]
    pub cwd: Option<PathBuf>,
    /// Show live grants and pending requests.
    #[arg(long, conflicts_with_all = ["id", "command", "revoke"])]
    pub list: bool,
    /// Remove a grant (or every grant, with --all).
    #[arg(long, value_name = "ID", num_args = 0..=1, default_missing_value = "", conflicts_with_all = ["id", "command"])]
    pub revoke: Option<String>,
    /// With --revoke: remove every grant.
    #[arg(long, requires = "revoke")]
    pub all: bool,
    /// Keep watching for pending requests and offer each as it comes (Ctrl-C ends).
    #[arg(long, conflicts_with_all = ["id", "command", "revoke", "list"])]
    pub watch: bool,
    /// The exact command to pre-approve: TOOL ARGS…
    #[arg(last = true, value_parser = clap::builder::OsStringValueParser::new())]
    pub command: Vec<OsString>,
}

#[derive(Debug, clap::Args)]
pub struct HookArgs {
    /// The agent whose hook protocol to speak.
    #[arg(value_enum, required = true)]
    pub agent: Option<crate::hook::Agent>,
    #[command(subcommand)]
    pub action: Option<HookAction>,
}

#[derive(Debug, Subcommand)]
pub enum HookAction {
    /// Merge guard's hook into AGENT's settings (a backup is kept; nothing else changes).
    Install {
        #[arg(value_enum)]
        agent: crate::hook::Agent,
        /// Into the agent's managed, machine-wide file under /etc, which users cannot
        /// override (run with sudo).
        #[arg(long)]
        system: bool,
    },
    /// Take guard's hook out of AGENT's settings (needs the passphrase, if one is set).
    Uninstall {
        #[arg(value_enum)]
        agent: crate::hook::Agent,
        #[arg(long)]
        system: bool,
    },
}
