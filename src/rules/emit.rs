//! Compiled rules written out as Rust statics. build.rs runs the real `compile` on each bundled
//! pack and emits the result through `Emit`, so a shim call parses no YAML and builds no rules.
//!
//! Each compiled type implements `Emit` beside its definition (`compiled`); this module holds
//! the generic part: slices become named statics, scalars literals, and each distinct regex
//! source a slot of one zeroed table of compiled regexes (`REGEXES`).

use std::collections::HashMap;
use std::fmt::Write as _;

/// Generated code under construction: the statics written so far, and the regex slots.
#[derive(Default)]
pub struct Emitter {
    pub statics: String,
    count: usize,
    /// The `REGEXES` slot of each distinct source: rules that share a pattern share its
    /// compiled regex (the curl pack's Railway URL pattern appears in four rules).
    slots: HashMap<String, usize>,
}

impl Emitter {
    /// `static S<n>: [ty; len] = [items];`, returning `&S<n>`. Named statics rather than
    /// promoted literals: a `Pattern` refers to its slot in `REGEXES`, a static, which a
    /// constant cannot.
    pub fn slice(&mut self, ty: &str, items: Vec<String>) -> String {
        let name = self.named(&format!("[{ty}; {}]", items.len()), &items.join(",\n    "));
        format!("&{name}")
    }

    /// `static S<n>: ty = value;`, returning `S<n>`.
    pub fn named(&mut self, ty: &str, value: &str) -> String {
        let name = format!("S{}", self.count);
        self.count += 1;
        let value = if ty.starts_with('[') {
            format!("[\n    {value}\n]")
        } else {
            value.to_string()
        };
        writeln!(self.statics, "static {name}: {ty} = {value};").expect("writing to a String");
        name
    }

    /// The slot of `source` in `REGEXES`.
    pub fn regex_slot(&mut self, source: &str) -> usize {
        let next = self.slots.len();
        *self.slots.entry(source.to_string()).or_insert(next)
    }

    /// The statics, and the regex table they point into (zeroed: a slot costs nothing until
    /// its regex is compiled).
    pub fn finish(self) -> String {
        let n = self.slots.len();
        format!(
            "{}static REGEXES: [OnceLock<Option<regex::bytes::Regex>>; {n}] = [const {{ OnceLock::new() }}; {n}];\n",
            self.statics
        )
    }
}

/// A value that can be written as a Rust expression of its own type, valid in a static's
/// initializer (a `Pack` alone is built in a function).
pub trait Emit {
    /// The type as the generated code names it.
    fn ty() -> String;
    fn emit(&self, e: &mut Emitter) -> String;
}

impl Emit for &'static str {
    fn ty() -> String {
        "&str".into()
    }
    fn emit(&self, _: &mut Emitter) -> String {
        // `Debug` of a str is a valid Rust string literal (escapes included).
        format!("{self:?}")
    }
}

impl Emit for &'static [u8] {
    fn ty() -> String {
        "&[u8]".into()
    }
    fn emit(&self, _: &mut Emitter) -> String {
        format!("b\"{}\"", self.escape_ascii())
    }
}

impl Emit for bool {
    fn ty() -> String {
        "bool".into()
    }
    fn emit(&self, _: &mut Emitter) -> String {
        self.to_string()
    }
}

impl<A: Emit, B: Emit> Emit for (A, B) {
    fn ty() -> String {
        format!("({}, {})", A::ty(), B::ty())
    }
    fn emit(&self, e: &mut Emitter) -> String {
        format!("({}, {})", self.0.emit(e), self.1.emit(e))
    }
}

impl<T: Emit> Emit for Option<T> {
    fn ty() -> String {
        format!("Option<{}>", T::ty())
    }
    fn emit(&self, e: &mut Emitter) -> String {
        match self {
            Some(v) => format!("Some({})", v.emit(e)),
            None => "None".into(),
        }
    }
}

/// `&S<n>` for a static array of `items`.
pub fn slice<T: Emit>(items: &[T], e: &mut Emitter) -> String {
    let items = items.iter().map(|item| item.emit(e)).collect();
    e.slice(&T::ty(), items)
}

/// Enums without data, written as `Type::Variant`.
macro_rules! emit_unit_enum {
    ($($t:ident),*) => {$(
        impl Emit for super::model::$t {
            fn ty() -> String {
                stringify!($t).into()
            }
            fn emit(&self, _: &mut Emitter) -> String {
                format!("{}::{:?}", stringify!($t), self)
            }
        }
    )*};
}
emit_unit_enum!(Action, Challenge, SqlClass, PathKind, SqlDialect);
