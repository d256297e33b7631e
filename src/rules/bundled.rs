//! The bundled packs, compiled by build.rs with `compile` and written out by `emit`: statics a
//! shim reads instead of parsing YAML. Their texts stay here for `lint` and `guard rules`.

use super::compiled::{
    Conditions, ContentSpec, Matcher, Pack, Pattern, Required, Rule, Source, WordPattern,
};
use std::borrow::Cow;
use std::sync::OnceLock;
// The generated code names these only when some pack uses them.
#[allow(unused_imports)]
use super::model::{Action, Challenge, PathKind, SqlClass, SqlDialect};

/// A pack compiled into the binary.
pub struct BundledPack {
    pub name: &'static str,
    pub tools: &'static [&'static str],
    pub text: &'static str,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::compile::{RegexCheck, compile_pack};

    #[test]
    fn every_bundled_pack_survives_its_bytes_unchanged() {
        for (i, b) in BUNDLED.iter().enumerate() {
            let pack = compiled(i).unwrap();
            let bytes: &'static [u8] = pack.to_bytes().leak();
            let back = Pack::from_bytes(bytes).expect("decodes");
            assert_eq!(format!("{back:?}"), format!("{pack:?}"), "{}", b.name);
        }
        assert!(Pack::from_bytes(b"\xff\xff\xff").is_none());
    }

    #[test]
    fn build_time_packs_equal_the_packs_the_loader_parses() {
        for (i, b) in BUNDLED.iter().enumerate() {
            let mut diags = Vec::new();
            let parsed =
                compile_pack(&label(b.name), b.text, RegexCheck::Syntax, &mut diags).unwrap();
            let built = compiled(i).expect("compiled at build time");
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
