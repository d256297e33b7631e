//! Evaluating compiled rules: a pure function from one call (`call::Call`) to "does this rule
//! hold". No I/O, no environment reads, no clocks.

use super::call::Call;
use super::compiled::{Conditions, Matcher, Pattern, Rule, WordPattern};
use regex::bytes::Regex;

impl Conditions {
    pub fn holds(&self, call: &Call) -> bool {
        self.all.iter().all(|m| m.holds(call))
            && !self.unless.as_ref().is_some_and(|u| u.holds(call))
    }
}

impl Pattern {
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

impl Matcher {
    pub fn holds(&self, call: &Call) -> bool {
        let cl = &call.line;
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
                .all(|(name, regex)| call.env_var(name).is_some_and(|v| regex.is_match(v))),
            Matcher::Payload(regex) => call.payload().parts.iter().any(|p| regex.is_match(p)),
            Matcher::PayloadUnreadable(want) => call.payload().unreadable.is_empty() != *want,
            Matcher::Sql(classes) => call.sql().1.iter().any(|c| classes.contains(c)),
            Matcher::SqlUnreadable(want) => call.sql().0.unreadable.is_empty() != *want,
            Matcher::StdinPiped(want) => call.inputs().stdin_is_piped() == *want,
            Matcher::StdinRedirected(want) => call.inputs().stdin_is_redirected() == *want,
            Matcher::PathIs(kinds) => cl.words.iter().any(|w| {
                call.inputs()
                    .path_kinds(w)
                    .iter()
                    .any(|k| kinds.contains(k))
            }),
        }
    }
}

impl Rule {
    pub fn matches(&self, call: &Call) -> bool {
        self.when.holds(call)
    }

    /// What this command destroys, by the rule's `target:` flags, else a `target` capture
    /// group in one of its regexes.
    pub fn target(&self, call: &Call) -> Option<Vec<u8>> {
        let cl = &call.line;
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
    use crate::rules::command::CommandLine;
    use crate::rules::compiled::leak;
    use std::ffi::OsString;

    fn cl<'a>(args: &'a [OsString], env: &'a [(OsString, OsString)]) -> Call<'a> {
        Call::new(CommandLine::parse(args, &[b"-e", b"-v", b"--volume"]), env)
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
        use crate::rules::bundled::{BUNDLED, compiled};
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
