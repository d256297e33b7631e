//! Rules: the YAML format (`model`), one parsed view of a command line (`command`), compiled
//! matchers (`matcher`), validation (`compile`), the layered loader (`load`) and its index of
//! user rule files (`index`).

mod bundled;
pub mod command;
pub mod compile;
pub mod content;
pub mod diagnostic;
pub mod index;
pub mod load;
pub mod matcher;
pub mod model;
pub mod prefilter;
pub mod sql;
mod tools_line;

pub use compile::Pack;

/// One `disable:` entry and where it was written.
#[derive(Debug, Clone)]
pub struct Disabled {
    pub id: String,
    pub file: String,
    pub at: (u32, u32),
}
pub use model::Action;

/// Every loaded pack, in layer order (bundled, system, user), with disabled rules removed.
#[derive(Debug, Default)]
pub struct RuleSet {
    pub packs: Vec<Pack>,
    /// Ids switched off by `disable:` in a config file.
    pub disabled: Vec<Disabled>,
    /// The merged config.yaml files.
    pub config: crate::config::Config,
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
    pub fn content(&self, tool: &str) -> content::ContentSpec {
        let mut spec = content::ContentSpec::default();
        for p in self.packs_for(tool) {
            spec.merge(&p.content);
        }
        spec
    }

    /// The environment variables `tool`'s rules test (`env:`, under `unless` too): all a
    /// decision reads of the environment.
    pub fn env_names(&self, tool: &str) -> Vec<&'static str> {
        fn walk(c: &matcher::Conditions, out: &mut Vec<&'static str>) {
            for m in c.all {
                if let matcher::Matcher::Env(vars) = m {
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
