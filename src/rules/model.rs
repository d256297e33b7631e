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
    /// The rules; every matching rule is collected and the strictest action wins.
    #[serde(default)]
    pub rules: Vec<RuleSpec>,
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
