//! Compiled rules and the matchers they are made of: a pure function from a parsed command
//! line to "does this rule hold". No I/O, no environment reads, no clocks.

use super::command::CommandLine;
use super::model::{Action, Challenge, PathKind, SqlClass};
use regex::bytes::Regex;
use std::sync::OnceLock;

/// A pattern's required literals as statics (`prefilter::Required`).
pub type Required = super::prefilter::Required<&'static [&'static [u8]]>;

/// Where a rule was written, for messages that explain a decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Source {
    pub file: &'static str,
    pub line: u32,
    pub column: u32,
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

/// Compiled rules are `'static`: the bundled packs are statics that build.rs generated (a shim
/// builds nothing at start-up), and rules read from files are leaked, since every rule lives
/// until the process execs the tool or exits anyway. See `leak`.
#[derive(Debug)]
pub struct Rule {
    pub id: &'static str,
    pub action: Action,
    pub reason: &'static str,
    pub source: Source,
    pub when: Conditions,
    pub challenge: Challenge,
    /// Flags whose value names what the command destroys, for `challenge: target`.
    pub target_flags: &'static [&'static [u8]],
}

/// `match:` compiled: every matcher must hold, and `unless` must not.
#[derive(Debug, Default)]
pub struct Conditions {
    pub all: &'static [Matcher],
    pub unless: Option<&'static Conditions>,
}

/// Moves a value built from a rule file into `'static` memory, like the bundled packs: rules
/// live until the process execs the tool or exits (`guard lint` and `guard rules` load each
/// file once), so nothing is lost by never freeing them.
pub fn leak<T>(items: Vec<T>) -> &'static [T] {
    items.leak()
}

pub fn leak_str(s: &str) -> &'static str {
    Box::leak(s.into())
}

impl Conditions {
    pub fn holds(&self, cl: &CommandLine) -> bool {
        self.all.iter().all(|m| m.holds(cl)) && !self.unless.as_ref().is_some_and(|u| u.holds(cl))
    }
}

/// A regex, compiled when first needed. A shim call for `railway status` never evaluates the
/// regexes of rules whose `command:` already failed, so it never pays to compile them.
///
/// The compiled regex lives outside the pattern (for the bundled packs, in one zeroed table),
/// so rules hold no interior mutability and stay read-only data: a shim call touches only the
/// pages of its own tool's rules.
pub struct Pattern {
    source: &'static str,
    /// Folded literals one of which every match contains (`prefilter`): a haystack without
    /// any is no match, and the regex is not compiled for it.
    required: Option<Required>,
    compiled: &'static OnceLock<Option<Regex>>,
}

impl Pattern {
    /// A pattern compiled on first use into `slot`. Only for sources already validated (the
    /// bundled packs, linted in CI); should one still fail to compile, it matches everything,
    /// so its rule applies: an unreadable rule fails closed.
    /// `required` must be `prefilter::required_literals(source)`; build.rs computes it.
    pub const fn lazy_in(
        source: &'static str,
        required: Option<Required>,
        slot: &'static OnceLock<Option<Regex>>,
    ) -> Pattern {
        Pattern {
            source,
            required,
            compiled: slot,
        }
    }

    /// `lazy_in` with a slot of its own, its literals found now.
    pub fn lazy(source: &'static str) -> Pattern {
        match super::prefilter::parse(source) {
            Ok(hir) => Pattern::lazy_parsed(source, &hir),
            // Fails when first used, and so matches: see `lazy_in`.
            Err(_) => Pattern::lazy_in(source, None, Box::leak(Box::default())),
        }
    }

    /// `lazy` for a pattern already parsed into `hir`.
    pub fn lazy_parsed(source: &'static str, hir: &regex_syntax::hir::Hir) -> Pattern {
        let required = super::prefilter::required_of(hir).map(|r| Required {
            at_start: r.at_start,
            any_of: leak(r.any_of.into_iter().map(leak).collect()),
        });
        Pattern::lazy_in(source, required, Box::leak(Box::default()))
    }

    /// A pattern that was compiled (and so validated) while loading.
    pub fn compiled(source: &'static str, regex: Regex) -> Pattern {
        Pattern {
            source,
            required: None,
            compiled: Box::leak(Box::new(OnceLock::from(Some(regex)))),
        }
    }

    /// The text of the named group `target` where this pattern matches, if it has one.
    pub fn target(&self, haystack: &[u8]) -> Option<Vec<u8>> {
        if !self.may_match(haystack) {
            return None;
        }
        self.regex()?
            .captures(haystack)?
            .name("target")
            .map(|m| m.as_bytes().to_vec())
    }

    pub fn is_match(&self, haystack: &[u8]) -> bool {
        self.may_match(haystack) && self.regex().is_none_or(|re| re.is_match(haystack))
    }

    fn may_match(&self, haystack: &[u8]) -> bool {
        self.required.is_none_or(|r| r.may_match(haystack))
    }

    /// Compiled on first use; `None` if it does not compile.
    fn regex(&self) -> Option<&Regex> {
        self.compiled
            .get_or_init(|| Regex::new(self.source).ok())
            .as_ref()
    }
}

impl std::fmt::Debug for Pattern {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "/{}/", self.source)?;
        match self.required {
            Some(r) => {
                let lits: Vec<String> = r
                    .any_of
                    .iter()
                    .map(|l| l.escape_ascii().to_string())
                    .collect();
                write!(f, " needs one of {lits:?} (at the start: {})", r.at_start)
            }
            None => Ok(()),
        }
    }
}

/// One leading positional word of `command:`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WordPattern {
    Any,
    OneOf(&'static [&'static [u8]]),
}

/// The closed set of things a rule can test. A new kind of test is a new variant here and a
/// new key in `MatchSpec`; nothing that calls `holds` changes.
#[derive(Debug)]
pub enum Matcher {
    /// The leading positional words, in order; more words may follow.
    Command(&'static [WordPattern]),
    /// Any of these flags is present.
    Flags(&'static [&'static [u8]]),
    /// One of these flags carries a value matching the regex.
    FlagValue {
        flags: &'static [&'static [u8]],
        regex: Pattern,
    },
    /// Some single argument matches.
    Arg(Pattern),
    /// The arguments joined by single spaces match.
    Args(Pattern),
    /// Every named variable is set and matches.
    Env(&'static [(&'static str, Pattern)]),
    /// The request body the tool would send matches.
    Payload(Pattern),
    /// Whether part of the request body cannot be inspected.
    PayloadUnreadable(bool),
    /// Some SQL statement the tool would run is of one of these classes.
    Sql(&'static [SqlClass]),
    /// Whether some of the SQL cannot be inspected.
    SqlUnreadable(bool),
    /// Whether stdin is a pipe or a file.
    StdinPiped(bool),
    /// Some positional word is a path of one of these kinds.
    PathIs(&'static [PathKind]),
}

impl Matcher {
    pub fn holds(&self, cl: &CommandLine) -> bool {
        match self {
            Matcher::Command(patterns) => {
                patterns.len() <= cl.words.len()
                    && patterns.iter().zip(&cl.words).all(|(p, w)| match p {
                        WordPattern::Any => true,
                        WordPattern::OneOf(alts) => alts.iter().any(|a| a == w),
                    })
            }
            Matcher::Flags(names) => names.iter().any(|n| cl.has_flag(n)),
            Matcher::FlagValue { flags, regex } => cl
                .flags
                .iter()
                .any(|f| flags.contains(&f.name) && f.value.is_some_and(|v| regex.is_match(v))),
            Matcher::Arg(regex) => cl.args.iter().any(|a| regex.is_match(a)),
            Matcher::Args(regex) => regex.is_match(&cl.joined),
            Matcher::Env(vars) => vars
                .iter()
                .all(|(name, regex)| cl.env_var(name).is_some_and(|v| regex.is_match(v))),
            Matcher::Payload(regex) => cl.payload().parts.iter().any(|p| regex.is_match(p)),
            Matcher::PayloadUnreadable(want) => cl.payload().unreadable.is_empty() != *want,
            Matcher::Sql(classes) => cl.sql().1.iter().any(|c| classes.contains(c)),
            Matcher::SqlUnreadable(want) => cl.sql().0.unreadable.is_empty() != *want,
            Matcher::StdinPiped(want) => cl.inputs().stdin_is_piped() == *want,
            Matcher::PathIs(kinds) => cl
                .words
                .iter()
                .any(|w| cl.inputs().path_kinds(w).iter().any(|k| kinds.contains(k))),
        }
    }
}

impl Rule {
    pub fn matches(&self, cl: &CommandLine) -> bool {
        self.when.holds(cl)
    }

    /// What this command destroys, by the rule's `target:` flags, else a `target` capture
    /// group in one of its regexes.
    pub fn target(&self, cl: &CommandLine) -> Option<Vec<u8>> {
        let by_flag = cl.flags.iter().find_map(|f| {
            self.target_flags
                .contains(&f.name)
                .then_some(f.value)
                .flatten()
        });
        if let Some(v) = by_flag {
            return Some(v.to_vec());
        }
        self.when.all.iter().find_map(|m| match m {
            Matcher::Arg(p) => cl.args.iter().find_map(|a| p.target(a)),
            Matcher::Args(p) => p.target(&cl.joined),
            Matcher::FlagValue { flags, regex } => cl.flags.iter().find_map(|f| {
                flags
                    .contains(&f.name)
                    .then(|| f.value.and_then(|v| regex.target(v)))
                    .flatten()
            }),
            _ => None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsString;

    fn cl<'a>(args: &'a [OsString], env: &'a [(OsString, OsString)]) -> CommandLine<'a> {
        CommandLine::parse(args, &[b"-e", b"-v", b"--volume"], env)
    }

    fn os(s: &str) -> Vec<OsString> {
        s.split(' ').map(OsString::from).collect()
    }

    fn one_of(words: &[&'static str]) -> WordPattern {
        WordPattern::OneOf(leak(words.iter().map(|w| w.as_bytes()).collect()))
    }

    #[test]
    fn command_is_a_prefix_of_the_words_with_alternatives_and_wildcards() {
        let m = Matcher::Command(leak(vec![
            one_of(&["volume", "volumes"]),
            one_of(&["delete", "rm"]),
        ]));
        assert!(m.holds(&cl(&os("volumes -e prod rm -v pg extra"), &[])));
        assert!(!m.holds(&cl(&os("volume list"), &[])));
        assert!(!m.holds(&cl(&os("volume"), &[])));
        let any = Matcher::Command(leak(vec![WordPattern::Any, one_of(&["delete"])]));
        assert!(any.holds(&cl(&os("bucket delete"), &[])));
    }

    #[test]
    fn flag_value_tests_only_the_named_flags() {
        let m = Matcher::FlagValue {
            flags: &[b"-e"],
            regex: Pattern::lazy("(?i)^prod"),
        };
        assert!(m.holds(&cl(&os("up -e Production"), &[])));
        assert!(!m.holds(&cl(&os("up -v production"), &[])));
        assert!(m.holds(&cl(&os("up -eprod"), &[])));
    }

    #[test]
    fn unless_vetoes_the_rule() {
        let c = Conditions {
            all: leak(vec![Matcher::Command(leak(vec![one_of(&["down"])]))]),
            unless: Some(Box::leak(Box::new(Conditions {
                all: leak(vec![Matcher::Flags(&[b"--help", b"-h"])]),
                unless: None,
            }))),
        };
        assert!(c.holds(&cl(&os("down"), &[])));
        assert!(!c.holds(&cl(&os("down --help"), &[])));
    }

    #[test]
    fn env_requires_every_variable_to_be_set_and_match() {
        let m = Matcher::Env(leak(vec![(
            "RAILWAY_ENVIRONMENT",
            Pattern::lazy("(?i)prod"),
        )]));
        let env = [(
            OsString::from("RAILWAY_ENVIRONMENT"),
            OsString::from("PROD"),
        )];
        assert!(m.holds(&cl(&os("up"), &env)));
        assert!(!m.holds(&cl(&os("up"), &[])));
    }

    #[test]
    fn arg_and_args_see_raw_arguments() {
        let arg = Matcher::Arg(Pattern::lazy(r"^mutation\b"));
        let args = Matcher::Args(Pattern::lazy(r"api mutation"));
        let argv = [OsString::from("api"), OsString::from("mutation { x }")];
        assert!(arg.holds(&cl(&argv, &[])));
        assert!(args.holds(&cl(&argv, &[])));
    }

    fn patterns<'a>(c: &'a Conditions, out: &mut Vec<&'a Pattern>) {
        for m in c.all {
            match m {
                Matcher::FlagValue { regex, .. } => out.push(regex),
                Matcher::Arg(p) | Matcher::Args(p) | Matcher::Payload(p) => out.push(p),
                Matcher::Env(vars) => out.extend(vars.iter().map(|(_, p)| p)),
                _ => {}
            }
        }
        if let Some(u) = c.unless {
            patterns(u, out);
        }
    }

    /// The prefilter may only say "no match" where the regex says so too: checked for every
    /// bundled pattern against every word and line of every pack's examples, in several cases.
    #[test]
    fn the_prefilter_never_hides_a_match_of_a_bundled_pattern() {
        use crate::rules::bundled::compiled;
        use crate::rules::load::BUNDLED;
        let mut haystacks: Vec<String> = Vec::new();
        for b in BUNDLED {
            let spec: super::super::model::PackSpec = serde_saphyr::from_str(b.text).unwrap();
            for rule in &spec.rules {
                for ex in rule.examples.iter().chain(&rule.not_examples) {
                    let words = shlex::split(&ex.value).unwrap_or_default();
                    haystacks.push(words[1..].join(" "));
                    haystacks.extend(words);
                }
            }
        }
        let variants: Vec<String> = haystacks
            .iter()
            .flat_map(|h| {
                [
                    h.clone(),
                    h.to_uppercase(),
                    h.replace('s', "\u{17f}").replace('k', "\u{212a}"),
                ]
            })
            .collect();
        let (mut checked, mut with_literals) = (0, 0);
        for i in 0..BUNDLED.len() {
            let pack = compiled(i).unwrap();
            let mut pats = Vec::new();
            for rule in &pack.rules {
                patterns(&rule.when, &mut pats);
            }
            for p in pats {
                checked += 1;
                let Some(required) = p.required else { continue };
                with_literals += 1;
                let re = Regex::new(p.source).unwrap();
                for h in &variants {
                    if re.is_match(h.as_bytes()) {
                        assert!(
                            required.may_match(h.as_bytes()),
                            "{p:?} matches {h:?} but the prefilter said no"
                        );
                    }
                }
            }
        }
        // Patterns with no literal to check are mostly short flags (`^--?h(elp)?$`), cheap to
        // compile; if none had literals, this test would prove nothing.
        assert!(with_literals * 3 > checked, "{with_literals} of {checked}");
    }

    /// User files on the shim's path are parsed, not compiled; a pattern too large to compile
    /// then fails when first used, and matches, so its rule still applies.
    #[test]
    fn a_pattern_too_large_to_compile_matches() {
        let huge = r"\w{1000}{100}";
        assert!(crate::rules::prefilter::parse(huge).is_ok());
        assert!(Regex::new(huge).is_err());
        assert!(Pattern::lazy(huge).is_match(b"x"));
    }
}
