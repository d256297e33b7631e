//! The bundled packs: each pack's text (for `lint` and `guard rules`) and its compiled form,
//! which build.rs made with `compile` and stored as bytes (`Pack::to_bytes`). A shim call
//! decodes only its own tool's packs: no YAML, and no pointers in the binary to relocate at
//! start-up (a static PIE relocates every pointer in its data on every run).

use super::compiled::Pack;

/// A pack compiled into the binary.
pub struct BundledPack {
    pub name: &'static str,
    pub tools: &'static [&'static str],
    pub text: &'static str,
    pub compiled: &'static [u8],
}

include!(concat!(env!("OUT_DIR"), "/bundled.rs"));

/// The label bundled packs carry in messages and diagnostics.
pub fn label(name: &str) -> String {
    format!("<bundled>/{name}")
}

/// The indexes in `BUNDLED` of the packs naming `tool`.
pub fn naming(tool: &str) -> impl Iterator<Item = usize> + '_ {
    (0..BUNDLED.len()).filter(move |&i| BUNDLED[i].tools.contains(&tool))
}

/// Bundled pack `index`, as build.rs compiled it. `None` only if the bytes do not decode,
/// which the loader reports (and the build-equality test rules out).
pub fn compiled(index: usize) -> Option<Pack> {
    Pack::from_bytes(BUNDLED.get(index)?.compiled)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::compile::{RegexCheck, compile_pack};

    #[test]
    fn build_time_packs_equal_the_packs_the_loader_parses() {
        for (i, b) in BUNDLED.iter().enumerate() {
            let mut diags = Vec::new();
            let parsed =
                compile_pack(&label(b.name), b.text, RegexCheck::Syntax, &mut diags).unwrap();
            let built = compiled(i).expect("decodes");
            assert_eq!(built.tools, b.tools, "{}", b.name);
            assert_eq!(built.file, parsed.file);
            assert_eq!(built.tools, parsed.tools);
            assert_eq!(built.value_flags, parsed.value_flags);
            assert_eq!(built.default, parsed.default);
            assert_eq!(built.content, parsed.content);
            assert_eq!(built.opt_in, parsed.opt_in);
            assert_eq!(
                format!("{:?}", built.rules),
                format!("{:?}", parsed.rules),
                "{}",
                b.name
            );
        }
        assert!(compiled(BUNDLED.len()).is_none());
    }

    #[test]
    fn naming_finds_exactly_the_packs_that_list_the_tool() {
        let railway: Vec<usize> = naming("railway").collect();
        assert!(!railway.is_empty());
        for i in railway {
            assert!(BUNDLED[i].tools.contains(&"railway"));
        }
        assert_eq!(naming("no-such-tool").count(), 0);
    }
}
