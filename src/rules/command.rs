//! One parsed view of an intercepted command line: positional words, flags with their values
//! and the raw arguments. Every matcher reads this view (through `call::Call`); none re-parses
//! argv.

use std::ffi::OsString;
use std::os::unix::ffi::OsStrExt;

/// A flag as it appeared: `name` is the spelling up to any `=`, `value` what it carried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flag<'a> {
    pub name: &'a [u8],
    pub value: Option<&'a [u8]>,
}

pub struct CommandLine<'a> {
    /// Arguments after argv[0], byte-exact (non-UTF-8 allowed).
    pub args: Vec<&'a [u8]>,
    /// Positional words, in order, after skipping flags and the values they consume.
    pub words: Vec<&'a [u8]>,
    /// Every flag spelling seen. A single-dash bundle `-abc` yields `-abc` itself and `-a`, `-b`,
    /// `-c`, so rules can name either a long single-dash flag (`-auto-approve`) or a short one.
    pub flags: Vec<Flag<'a>>,
    /// The arguments joined by single spaces, for `args:` regexes.
    pub joined: Vec<u8>,
}

impl<'a> CommandLine<'a> {
    /// Parse `args` (argv without argv[0]) given the flags that take a value for this tool.
    pub fn parse(args: &'a [OsString], value_flags: &[&[u8]]) -> Self {
        let args: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
        let takes_value = |name: &[u8]| value_flags.contains(&name);
        let mut words = Vec::new();
        let mut flags = Vec::new();
        let mut i = 0;
        let mut flags_ended = false;
        while i < args.len() {
            let token = args[i];
            i += 1;
            if flags_ended || token.len() < 2 || token[0] != b'-' {
                words.push(token);
                continue;
            }
            if token == b"--" {
                flags_ended = true;
                continue;
            }
            if let Some(eq) = token.iter().position(|&b| b == b'=') {
                flags.push(Flag {
                    name: &token[..eq],
                    value: Some(&token[eq + 1..]),
                });
                continue;
            }
            if takes_value(token) {
                let value = args.get(i).copied();
                if value.is_some() {
                    i += 1;
                }
                flags.push(Flag { name: token, value });
                continue;
            }
            flags.push(Flag {
                name: token,
                value: None,
            });
            if token[1] == b'-' {
                continue;
            }
            // A short-option bundle: `-rf`, or `-XDELETE` where `-X` takes the rest as its value.
            for (pos, &c) in token.iter().enumerate().skip(1) {
                let short = short_flag(c);
                if takes_value(short) {
                    let rest = &token[pos + 1..];
                    let value = if rest.is_empty() {
                        let v = args.get(i).copied();
                        if v.is_some() {
                            i += 1;
                        }
                        v
                    } else {
                        Some(rest)
                    };
                    flags.push(Flag { name: short, value });
                    break;
                }
                flags.push(Flag {
                    name: short,
                    value: None,
                });
            }
        }
        let joined = args.join(&b' ');
        CommandLine {
            args,
            words,
            flags,
            joined,
        }
    }

    pub fn has_flag(&self, name: &[u8]) -> bool {
        self.flags.iter().any(|f| f.name == name)
    }
}

/// `-c` for a byte `c`, as a static slice so flags can borrow it without allocating.
fn short_flag(c: u8) -> &'static [u8] {
    static SHORT: [[u8; 2]; 256] = {
        let mut table = [[b'-', 0]; 256];
        let mut i = 0;
        while i < 256 {
            table[i][1] = i as u8;
            i += 1;
        }
        table
    };
    &SHORT[c as usize]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os(args: &[&str]) -> Vec<OsString> {
        args.iter().map(OsString::from).collect()
    }

    fn words<'a>(cl: &CommandLine<'a>) -> Vec<&'a str> {
        cl.words
            .iter()
            .map(|w| std::str::from_utf8(w).unwrap())
            .collect()
    }

    #[test]
    fn value_flags_consume_the_next_token() {
        let args = os(&["volume", "-e", "production", "delete", "-v", "pg-data"]);
        let cl = CommandLine::parse(&args, &[b"-e", b"-v"]);
        assert_eq!(words(&cl), ["volume", "delete"]);
        assert_eq!(cl.flags[0].value, Some(&b"production"[..]));
    }

    #[test]
    fn unknown_flags_are_boolean() {
        let args = os(&["volume", "-e", "production", "delete"]);
        let cl = CommandLine::parse(&args, &[]);
        assert_eq!(words(&cl), ["volume", "production", "delete"]);
    }

    #[test]
    fn equals_form_carries_its_value() {
        let args = os(&["--environment=prod", "-chdir=infra", "destroy"]);
        let cl = CommandLine::parse(&args, &[b"--environment"]);
        assert_eq!(words(&cl), ["destroy"]);
        assert!(cl.has_flag(b"--environment"));
        assert!(cl.has_flag(b"-chdir"));
        assert_eq!(cl.flags[1].value, Some(&b"infra"[..]));
    }

    #[test]
    fn bundles_split_into_short_flags() {
        let args = os(&["-rf", "/"]);
        let cl = CommandLine::parse(&args, &[]);
        assert!(cl.has_flag(b"-r") && cl.has_flag(b"-f") && cl.has_flag(b"-rf"));
        assert_eq!(words(&cl), ["/"]);
    }

    #[test]
    fn bundle_value_flag_takes_the_rest_or_the_next_token() {
        let args = os(&["-XDELETE", "https://x", "-sd", "@body.json"]);
        let cl = CommandLine::parse(&args, &[b"-X", b"-d"]);
        assert!(cl.flags.contains(&Flag {
            name: b"-X",
            value: Some(b"DELETE")
        }));
        assert!(cl.flags.contains(&Flag {
            name: b"-d",
            value: Some(b"@body.json")
        }));
        assert_eq!(words(&cl), ["https://x"]);
    }

    #[test]
    fn double_dash_ends_flags_and_lone_dash_is_a_word() {
        let args = os(&["rm", "-", "--", "-y"]);
        let cl = CommandLine::parse(&args, &[]);
        assert_eq!(words(&cl), ["rm", "-", "-y"]);
        assert!(!cl.has_flag(b"-y"));
    }

    #[test]
    fn non_utf8_arguments_are_kept_byte_exact() {
        use std::os::unix::ffi::OsStringExt;
        let args = vec![
            OsString::from_vec(vec![0xff, b'a']),
            OsString::from("-\u{e9}"),
        ];
        let cl = CommandLine::parse(&args, &[]);
        assert_eq!(cl.words, [&[0xff, b'a'][..]]);
        assert_eq!(cl.joined, b"\xffa -\xc3\xa9");
    }

    #[test]
    fn value_flag_at_the_end_has_no_value() {
        let args = os(&["delete", "-v"]);
        let cl = CommandLine::parse(&args, &[b"-v"]);
        assert_eq!(cl.flags[0].value, None);
    }
}
