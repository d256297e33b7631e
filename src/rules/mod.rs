//! The pure decision core: the rule format (`model`), its compiler (`compile`) into compiled
//! rules (`compiled`), one parsed view of a call (`command`, `content`, `call`), the matchers
//! (`matcher`) and the decision (`decision`). No I/O, environment or clock: the shim,
//! `explain`, `lint` and every later front end reuse it unchanged, and a test
//! (`the_core_touches_no_world`) keeps it so. Loading rule files is `layers`' work.

pub mod bundled;
pub mod call;
pub mod command;
pub mod compile;
pub mod compiled;
pub mod content;
pub mod decision;
pub mod diagnostic;
pub mod emit;
pub mod matcher;
pub mod model;
pub mod prefilter;
pub mod sql;

pub use compiled::Pack;
pub use model::Action;

/// One `disable:` entry and where it was written.
#[derive(Debug, Clone)]
pub struct Disabled {
    pub id: String,
    pub file: String,
    pub at: (u32, u32),
    /// Its seal (`approval::seal`), if it carries one.
    pub seal: Option<String>,
    /// Written in `/etc/guard`, which only root can change.
    pub system: bool,
}

/// A `disable:` entry that does not count, and why.
#[derive(Debug, Clone)]
pub struct Ignored {
    pub entry: Disabled,
    pub why: String,
}

/// Every loaded pack, in layer order (bundled, system, user), with disabled rules removed.
#[derive(Debug, Default)]
pub struct RuleSet {
    pub packs: Vec<Pack>,
    /// Ids switched off by `disable:` in a config file.
    pub disabled: Vec<Disabled>,
    /// `disable:` entries that do not count (unsealed with a passphrase set, or the machine
    /// locked): every refusal, `guard rules` and `guard lint` say so.
    pub ignored: Vec<Ignored>,
    /// The ids `disabled` took out of `packs`.
    pub switched_off: Vec<String>,
}

impl RuleSet {
    pub fn packs_for<'a>(&'a self, tool: &'a str) -> impl Iterator<Item = &'a Pack> + 'a {
        self.packs.iter().filter(move |p| p.tools.contains(&tool))
    }

    /// Flags that take a value for `tool`, from every pack that names it.
    pub fn value_flags<'a>(&'a self, tool: &'a str) -> Vec<&'a [u8]> {
        self.packs_for(tool)
            .flat_map(|p| p.value_flags.iter().copied().chain(p.content.flags()))
            .collect()
    }

    /// Where `tool`'s request body and SQL come from, from every pack that names it.
    pub fn content(&self, tool: &str) -> compiled::ContentSpec {
        let mut spec = compiled::ContentSpec::default();
        for p in self.packs_for(tool) {
            spec.merge(&p.content);
        }
        spec
    }

    /// The environment variables `tool`'s rules test (`env:`, under `unless` too): all a
    /// decision reads of the environment.
    pub fn env_names(&self, tool: &str) -> Vec<&'static str> {
        fn walk(c: &compiled::Conditions, out: &mut Vec<&'static str>) {
            for m in c.all {
                if let compiled::Matcher::Env(vars) = m {
                    out.extend(vars.iter().map(|(name, _)| *name));
                }
            }
            if let Some(u) = c.unless {
                walk(u, out);
            }
        }
        let mut names = Vec::new();
        for rule in self.packs_for(tool).flat_map(|p| &p.rules) {
            walk(&rule.when, &mut names);
        }
        names
    }

    /// Every tool some loaded pack names, sorted and without repeats; `opt_in` packs' tools
    /// only when `with_opt_in`.
    pub fn tools(&self, with_opt_in: bool) -> Vec<&str> {
        let mut tools: Vec<&str> = self
            .packs
            .iter()
            .filter(|p| with_opt_in || !p.opt_in)
            .flat_map(|p| p.tools.iter().copied())
            .collect();
        tools.sort_unstable();
        tools.dedup();
        tools
    }
}

#[cfg(test)]
mod tests {
    /// The core stays pure: no module here reaches the file system, the environment, the
    /// clock, processes or the OS bindings. Effects come in as arguments (`content::Inputs`).
    #[test]
    fn the_core_touches_no_world() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/rules");
        let forbidden = [
            "std::fs",
            "std::env",
            "std::process",
            "std::net",
            "std::time",
            "SystemTime",
            "Instant",
            "nix",
            "libc",
            "File",
        ];
        let mut checked = 0;
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let text = std::fs::read_to_string(&path).unwrap();
            // Tests may build fixtures from files; the code under test may not.
            let code = text.split("#[cfg(test)]").next().unwrap();
            for word in forbidden {
                let mention = regex::Regex::new(&format!(r"\b{}\b", regex::escape(word))).unwrap();
                assert!(
                    !mention.is_match(code),
                    "{} mentions `{word}`: the decision core does no I/O; take it as an argument",
                    path.display()
                );
            }
            checked += 1;
        }
        assert!(checked >= 10, "only {checked} files checked");
    }
}
