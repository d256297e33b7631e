//! The rule file format as plain serde data: what a YAML pack may say, nothing more.
//! Every value the loader checks later is `Spanned`, so its errors point at the YAML that wrote it.

use serde::Deserialize;
use serde_saphyr::Spanned;
use std::collections::BTreeMap;

/// What guard does with a command. Ordered: a stricter action compares greater.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, serde::Serialize,
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

/// One rule file (a "pack").
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PackSpec {
    pub tools: Spanned<Vec<String>>,
    #[serde(default)]
    pub value_flags: Vec<Spanned<String>>,
    #[serde(default)]
    pub default: Option<Spanned<Action>>,
    #[serde(default)]
    pub rules: Vec<RuleSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    pub id: Spanned<String>,
    pub action: Spanned<Action>,
    pub reason: Spanned<String>,
    #[serde(rename = "match")]
    pub matches: Spanned<MatchSpec>,
    #[serde(default)]
    pub examples: Vec<Spanned<String>>,
    #[serde(default)]
    pub not_examples: Vec<Spanned<String>>,
}

/// The keys of `match:` (and of `unless:`). Every key present must hold.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MatchSpec {
    #[serde(default)]
    pub command: Option<Vec<Spanned<WordSpec>>>,
    #[serde(default)]
    pub flags: Option<Vec<Spanned<String>>>,
    #[serde(default)]
    pub flag_value: Option<FlagValueSpec>,
    #[serde(default)]
    pub arg: Option<Spanned<String>>,
    #[serde(default)]
    pub args: Option<Spanned<String>>,
    #[serde(default)]
    pub env: Option<BTreeMap<String, Spanned<String>>>,
    #[serde(default)]
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
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum WordSpec {
    One(String),
    AnyOf(Vec<String>),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlagValueSpec {
    pub flags: Vec<Spanned<String>>,
    pub regex: Spanned<String>,
}

/// `config.yaml` in the user's (or the system's) config directory.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigSpec {
    #[serde(default)]
    pub disable: Vec<Spanned<String>>,
}
