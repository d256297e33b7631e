//! The bundled packs as build.rs compiled them: statics the shim reads instead of parsing YAML
//! or building rule values on every call. `load` still parses the text for `lint` and
//! `guard rules`.

use super::compile::Pack;
use super::content::ContentSpec;
use super::matcher::{Conditions, Matcher, Pattern, Required, Rule, Source, WordPattern};
use std::borrow::Cow;
use std::sync::OnceLock;
// The generated code names PathKind and SqlClass only when some pack uses those matchers.
#[allow(unused_imports)]
use super::model::{Action, Challenge, PathKind, SqlClass, SqlDialect};

include!(concat!(env!("OUT_DIR"), "/bundled_compiled.rs"));

/// A pack's string, or a pack's text, from its bytes, which build.rs emits in a link section
/// of their own (a literal would land among the strings a call reads). Checked at compile time.
pub(super) const fn utf8(bytes: &'static [u8]) -> &'static str {
    match std::str::from_utf8(bytes) {
        Ok(text) => text,
        Err(_) => panic!("build.rs emits pack strings from UTF-8 text"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::compile::{RegexCheck, compile_pack};
    use crate::rules::load::{BUNDLED, bundled_label};

    #[test]
    fn the_tool_index_names_exactly_the_packs_that_list_the_tool() {
        for (i, b) in BUNDLED.iter().enumerate() {
            for tool in b.tools {
                assert!(naming(tool).contains(&i), "{tool} -> {}", b.name);
            }
        }
        for tool in ["railway", "psql", "curl", "git", "kubectl"] {
            for &i in naming(tool) {
                assert!(BUNDLED[i].tools.contains(&tool));
            }
        }
        assert!(naming("no-such-tool").is_empty());
    }

    #[test]
    fn build_time_packs_equal_the_packs_the_loader_parses() {
        for (i, b) in BUNDLED.iter().enumerate() {
            let mut diags = Vec::new();
            let parsed =
                compile_pack(&bundled_label(b.name), b.text, RegexCheck::Lazy, &mut diags).unwrap();
            let built = compiled(i).expect("compiled at build time");
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
    }
}
