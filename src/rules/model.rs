//! The rule file format as plain serde data: what a YAML pack may say, nothing more.
//! Every value the loader checks later is `Spanned`, so its errors point at the YAML that wrote it.

use schemars::JsonSchema;
use serde::Deserialize;
use serde_saphyr::Spanned;
use std::collections::BTreeMap;

/// What guard does with a command. Ordered: a stricter action compares greater.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Deserialize,
    serde::Serialize,
    JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    Allow,
    Confirm,
    Deny,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Allow => "allow",
            Action::Confirm => "confirm",
            Action::Deny => "deny",
        }
    }
}

/// What a human must type to confirm. Ordered: a harder challenge compares greater.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Default,
    Deserialize,
    serde::Serialize,
    JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Challenge {
    /// Type `yes`.
    #[default]
    Yes,
    /// Type the name of the thing being destroyed.
    Target,
    /// Type a random code shown in the prompt.
    Code,
}

/// A guard rule file ("pack"): the commands it covers and the rules that decide them.
/// Reference: docs/rules.md.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "guard rule file")]
pub struct PackSpec {
    /// Command names these rules apply to, written on one line: `tools: [railway]`.
    #[schemars(with = "Vec<String>", length(min = 1))]
    pub tools: Spanned<Vec<String>>,
    /// Flags that take a value, so the next token is not a positional word (`-e production`).
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub value_flags: Vec<Spanned<String>>,
    /// The decision when no rule matches (default: allow).
    #[serde(default)]
    #[schemars(with = "Option<Action>")]
    pub default: Option<Spanned<Action>>,
    /// Where the tool's request body and SQL come from, for the `payload` and `sql` matchers.
    #[serde(default)]
    pub content: Option<ContentSpecYaml>,
    /// `guard install --all` skips this pack's tools (e.g. `rm`): install them by name.
    #[serde(default)]
    pub opt_in: bool,
    /// The rules; every matching rule is collected and the strictest action wins.
    #[serde(default)]
    pub rules: Vec<RuleSpec>,
}

/// The flags that carry content guard can inspect.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ContentSpecYaml {
    #[serde(default)]
    pub payload: Option<PayloadFlags>,
    #[serde(default)]
    pub sql: Option<SqlFlags>,
}

/// Flags whose values make up the request body (curl/wget semantics).
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PayloadFlags {
    /// The value is the body, or `@FILE` to read it from a file (`@-`: stdin), like curl's `-d`.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub data: Vec<Spanned<String>>,
    /// The value is the body, literally (curl's `--data-raw`, wget's `--post-data`).
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub raw: Vec<Spanned<String>>,
    /// curl's `--data-urlencode`: `content`, `=content`, `name=content`, `@file`, `name@file`.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub urlencode: Vec<Spanned<String>>,
    /// The value is a file holding the body (wget's `--post-file`).
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub file: Vec<Spanned<String>>,
}

/// Flags whose values are SQL, or files of SQL.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SqlFlags {
    /// The value is SQL text (`psql -c`, `mysql -e`).
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub text: Vec<Spanned<String>>,
    /// The value names a file of SQL (`psql -f`; `-` is stdin, which cannot be inspected).
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub file: Vec<Spanned<String>>,
    /// Every positional word is also SQL text (`supabase db query "DROP TABLE t"`).
    #[serde(default)]
    pub positional: bool,
    /// The tool reads SQL from stdin. Where the command line shows what stdin carries (a
    /// here-document, a here-string, `< FILE`: the hooks and `explain --shell` see those),
    /// that text is SQL too.
    #[serde(default)]
    pub stdin: bool,
    /// The SQL dialect to parse with.
    #[serde(default)]
    pub dialect: SqlDialect,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, serde::Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum SqlDialect {
    #[default]
    Generic,
    Postgres,
    Mysql,
    Sqlite,
}

/// The tiers a rule can belong to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Tier {
    Confirm,
}

/// The id a `disable` entry (or `confirm_tier: off`) gives to switch the confirm tier off.
pub const CONFIRM_TIER: &str = "@confirm-tier";

/// A class of SQL statement the `sql` matcher can recognise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SqlClass {
    DropDatabase,
    DropSchema,
    DropTable,
    /// DROP of anything else (view, index, role, function, …).
    DropOther,
    Truncate,
    DeleteWithoutWhere,
    UpdateWithoutWhere,
    /// A DELETE bounded by a WHERE: some rows go (the confirm tier).
    DeleteWithWhere,
    /// An UPDATE bounded by a WHERE: some rows change (the confirm tier).
    UpdateWithWhere,
    /// ALTER TABLE … DROP (a column, a constraint, …).
    AlterTableDrop,
}

/// What a path argument resolves to, for the `path_is` matcher.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PathKind {
    /// `/`
    Root,
    /// A directory directly under `/` (`/usr`, `/etc`, `/home`).
    TopLevel,
    /// The user's home directory (from the password database, not `$HOME`).
    Home,
    /// The root of a git work tree.
    GitRoot,
    /// `.`, `..`, or the current directory or one of its ancestors.
    CurrentOrParent,
}

/// One rule.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    /// Unique across all layers, e.g. `railway.volume.delete`.
    #[schemars(with = "String", regex(pattern = r"^[A-Za-z0-9._-]+$"))]
    pub id: Spanned<String>,
    /// allow | confirm | deny.
    #[schemars(with = "Action")]
    pub action: Spanned<Action>,
    /// One sentence a human reads when the command is refused.
    #[schemars(with = "String")]
    pub reason: Spanned<String>,
    /// Every key present must hold.
    #[serde(rename = "match")]
    #[schemars(with = "MatchSpec")]
    pub matches: Spanned<MatchSpec>,
    /// What a human types to confirm: `yes` (default), `target` (the thing being destroyed)
    /// or `code` (a random code shown in the prompt).
    #[serde(default)]
    #[schemars(with = "Option<Challenge>")]
    pub challenge: Option<Spanned<Challenge>>,
    /// `confirm`: the rule is in the confirm tier (a change that is recoverable but takes effect
    /// now: a production restart, a scale to zero, a bounded DELETE), which `confirm_tier: off`
    /// in config.yaml switches off as a whole. Only on `action: confirm`.
    #[serde(default)]
    #[schemars(with = "Option<Tier>")]
    pub tier: Option<Spanned<Tier>>,
    /// Flags whose value is the thing being destroyed (`--volume`), for `challenge: target`.
    /// A named capture group `target` in one of the rule's regexes works too.
    #[serde(default)]
    #[schemars(with = "Option<Vec<String>>")]
    pub target: Option<Vec<Spanned<String>>>,
    /// Command lines (tool first) this rule must match; `guard lint` checks them.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub examples: Vec<Spanned<String>>,
    /// Command lines this rule must not match.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub not_examples: Vec<Spanned<String>>,
}

/// The keys of `match:` (and of `unless:`). Every key present must hold.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MatchSpec {
    /// Leading positional words, in order; a nested list gives alternatives, "*" any word.
    #[serde(default)]
    #[schemars(with = "Option<Vec<WordSpec>>")]
    pub command: Option<Vec<Spanned<WordSpec>>>,
    /// Any of these flags is present (`-abc` bundles and `--flag=value` understood).
    #[serde(default)]
    #[schemars(with = "Option<Vec<String>>")]
    pub flags: Option<Vec<Spanned<String>>>,
    /// One of these flags carries a value matching the regex.
    #[serde(default)]
    pub flag_value: Option<FlagValueSpec>,
    /// Some single argument matches this regex.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub arg: Option<Spanned<String>>,
    /// The arguments joined by single spaces match this regex.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub args: Option<Spanned<String>>,
    /// Every named environment variable is set and matches its regex (only ever stricter).
    #[serde(default)]
    #[schemars(with = "Option<BTreeMap<String, String>>")]
    pub env: Option<BTreeMap<String, Spanned<String>>>,
    /// The request body (see `content.payload`) matches this regex.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub payload: Option<Spanned<String>>,
    /// `true`: part of the request body cannot be inspected (stdin, a missing or huge file).
    #[serde(default)]
    pub payload_unreadable: Option<bool>,
    /// Some SQL statement (see `content.sql`) is of one of these classes.
    #[serde(default)]
    #[schemars(with = "Option<Vec<SqlClass>>")]
    pub sql: Option<Spanned<Vec<SqlClass>>>,
    /// `true`: some SQL cannot be inspected (stdin, a missing or huge file).
    #[serde(default)]
    pub sql_unreadable: Option<bool>,
    /// `true`: stdin is a pipe or a file (input guard cannot see), not a terminal or /dev/null.
    #[serde(default)]
    pub stdin_piped: Option<bool>,
    /// `true`: stdin is not the caller's terminal: a pipe, a file, a here-document or a
    /// here-string, whether guard can see what it carries or not (a tool that reads its
    /// confirmation from stdin can be answered by it).
    #[serde(default)]
    pub stdin_redirected: Option<bool>,
    /// Some positional word is a path of one of these kinds.
    #[serde(default)]
    #[schemars(with = "Option<Vec<PathKind>>")]
    pub path_is: Option<Spanned<Vec<PathKind>>>,
    /// The same keys: the rule does not apply when they all hold.
    #[serde(default)]
    #[schemars(with = "Option<Box<MatchSpec>>")]
    pub unless: Option<Box<Spanned<MatchSpec>>>,
}

impl MatchSpec {
    /// True when no key is present: such a match would hold for every command.
    pub fn is_empty(&self) -> bool {
        self.command.is_none()
            && self.flags.is_none()
            && self.flag_value.is_none()
            && self.arg.is_none()
            && self.args.is_none()
            && self.env.is_none()
            && self.payload.is_none()
            && self.payload_unreadable.is_none()
            && self.sql.is_none()
            && self.sql_unreadable.is_none()
            && self.stdin_piped.is_none()
            && self.stdin_redirected.is_none()
            && self.path_is.is_none()
            && self.unless.is_none()
    }
}

/// One leading positional word: a literal, `*`, or a list of alternatives.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum WordSpec {
    One(String),
    AnyOf(Vec<String>),
}

/// A flag's value tested against a regex.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FlagValueSpec {
    /// The flags whose value is tested.
    #[schemars(with = "Vec<String>")]
    pub flags: Vec<Spanned<String>>,
    /// The regex the value must match.
    #[schemars(with = "String")]
    pub regex: Spanned<String>,
}
