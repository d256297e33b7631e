//! A shell command string as bash would run it, cut into the simple commands it can execute:
//! pipelines, lists, subshells, groups, loops and conditionals, `$(…)` and backticks (parsed
//! again), `bash -c`/`sh -c`/`zsh -c` strings, and the wrappers that run another command
//! (`sudo`, `env`, `timeout`, `nice`, `nohup`, `time`, `command`, `builtin`, `exec`, `xargs`,
//! `watch`). Parsing is brush-parser's; this module only walks its tree. A word whose value
//! depends on the run (a variable, a substitution) is `Word::Unknown`: never assumed harmless.

mod judge;

pub use judge::{Judged, judge};

use brush_parser::ast;
use brush_parser::word::{WordPiece, WordPieceWithSource};

/// How deep substitutions and `sh -c` strings are followed; deeper asks (`Unknown`).
const MAX_DEPTH: usize = 8;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Word {
    /// Its value, whatever the run: quotes removed, escapes applied.
    Known(String),
    /// Depends on the run; the source text, for people.
    Unknown(String),
}

impl Word {
    pub fn known(&self) -> Option<&str> {
        match self {
            Word::Known(s) => Some(s),
            Word::Unknown(_) => None,
        }
    }

    /// For display: the value, or the source text of an unknowable word.
    pub fn text(&self) -> &str {
        match self {
            Word::Known(s) | Word::Unknown(s) => s,
        }
    }
}

/// One simple command a string can run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimpleCommand {
    /// The command name first; wrappers and `VAR=x` prefixes removed.
    pub words: Vec<Word>,
    /// Where its stdin comes from.
    pub stdin: Stdin,
}

/// A command's stdin, as the string sets it up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stdin {
    /// Not redirected: whatever runs the string gives it.
    Inherited,
    /// A here-document or here-string whose text the string shows.
    Text(String),
    /// `< FILE`, the file named.
    File(String),
    /// A pipe, or text or a file known only when it runs.
    Unknown,
}

/// The most nested constructs (`(`, `{`, backquotes, `if`/`while`/`until`/`for`/`case`/
/// `select`) a string may open to be analysed at all.
const MAX_OPENINGS: usize = 1000;

/// The stack the analysis runs on. The parser recurses once per level of nesting, which takes
/// up to ~28 KiB a level in a debug build: room for MAX_OPENINGS levels, reserved, not used.
const ANALYSIS_STACK: usize = 64 << 20;

/// How long the analysis of one string may take: well inside the agents' hook timeouts (10 s
/// as `guard hook install` sets them), and far beyond any real command's few milliseconds.
pub const ANALYSIS_LIMIT: std::time::Duration = std::time::Duration::from_secs(2);

/// `simple_commands_within(text, ANALYSIS_LIMIT)`.
pub fn simple_commands(text: &str) -> Result<Vec<SimpleCommand>, String> {
    simple_commands_within(text, ANALYSIS_LIMIT)
}

/// The simple commands in `text`, in order, analysed within `limit`. An error when bash would
/// not parse it either, when it nests too deep to analyse (thousands of `$(` must not
/// overflow guard's stack), or when the analysis takes longer than `limit` (the parser
/// backtracks exponentially on some strings, such as many nested `((`). A crash or a hang
/// would be no answer, which an agent may take as "go ahead"; an error is an answer.
pub fn simple_commands_within(
    text: &str,
    limit: std::time::Duration,
) -> Result<Vec<SimpleCommand>, String> {
    // brush-parser 0.4 panics on a redirection's descriptor number that does not fit an i32
    // (`99999999999>x`, found by scripts/fuzz); bash itself refuses those as ambiguous.
    if let Some(n) = oversized_descriptor(text) {
        return Err(format!("it redirects descriptor {n}, larger than any"));
    }
    let openings = openings(text);
    if openings > MAX_OPENINGS {
        return Err(format!(
            "it opens {openings} nested constructs, more than the {MAX_OPENINGS} guard analyses"
        ));
    }
    // On a thread of its own, with room for the deepest nesting allowed. One that runs past
    // the limit is left behind: the callers (a hook, `explain`) answer and exit.
    let (tx, rx) = std::sync::mpsc::channel();
    let owned = text.to_string();
    std::thread::Builder::new()
        .name("shell analysis".into())
        .stack_size(ANALYSIS_STACK)
        .spawn(move || {
            let mut out = Vec::new();
            let _ = tx.send(walk_text(&owned, 0, &mut out).map(|()| out));
        })
        .map_err(|e| format!("cannot start the analysis: {e}"))?;
    match rx.recv_timeout(limit) {
        Ok(result) => result,
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => Err(format!(
            "analysing it took longer than {} ms",
            limit.as_millis()
        )),
        Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
            Err("the analysis failed".to_string())
        }
    }
}

/// A run of digits just before `<` or `>` that is too long to be a descriptor number.
fn oversized_descriptor(text: &str) -> Option<&str> {
    let bytes = text.as_bytes();
    let mut start = None;
    for (i, &b) in bytes.iter().enumerate() {
        match (b.is_ascii_digit(), start) {
            (true, None) => start = Some(i),
            (true, Some(_)) => {}
            (false, Some(from)) => {
                if matches!(b, b'<' | b'>') && i - from > 9 {
                    return Some(&text[from..i]);
                }
                start = None;
            }
            (false, None) => {}
        }
    }
    None
}

/// An upper bound on how deep `text` nests: every opening bracket, backquote and compound
/// command keyword, counted whether quoted or closed again (so no arrangement of quotes or
/// closing brackets can make a deep string look shallow).
fn openings(text: &str) -> usize {
    const KEYWORDS: [&str; 6] = ["if", "while", "until", "for", "case", "select"];
    let brackets = text
        .bytes()
        .filter(|b| matches!(b, b'(' | b'{' | b'`'))
        .count();
    let keywords = text
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| KEYWORDS.contains(w))
        .count();
    brackets + keywords
}

fn options() -> brush_parser::ParserOptions {
    brush_parser::ParserOptions::default()
}

fn walk_text(text: &str, depth: usize, out: &mut Vec<SimpleCommand>) -> Result<(), String> {
    if depth > MAX_DEPTH {
        out.push(SimpleCommand {
            words: vec![Word::Unknown(text.to_string())],
            stdin: Stdin::Inherited,
        });
        return Ok(());
    }
    let mut parser = brush_parser::Parser::new(std::io::Cursor::new(text), &options());
    let program = parser.parse_program().map_err(|e| e.to_string())?;
    for list in &program.complete_commands {
        walk_list(list, depth, out);
    }
    Ok(())
}

fn walk_list(list: &ast::CompoundList, depth: usize, out: &mut Vec<SimpleCommand>) {
    for ast::CompoundListItem(and_or, _) in &list.0 {
        walk_pipeline(&and_or.first, depth, out);
        for next in &and_or.additional {
            match next {
                ast::AndOr::And(p) | ast::AndOr::Or(p) => walk_pipeline(p, depth, out),
            }
        }
    }
}

fn walk_pipeline(pipeline: &ast::Pipeline, depth: usize, out: &mut Vec<SimpleCommand>) {
    for (i, command) in pipeline.seq.iter().enumerate() {
        let from = out.len();
        walk_command(command, depth, out);
        // After a `|`, stdin is the previous command's output (marked on everything this
        // stage runs that does not redirect its own: stricter, never looser).
        if i > 0 {
            for c in &mut out[from..] {
                if c.stdin == Stdin::Inherited {
                    c.stdin = Stdin::Unknown;
                }
            }
        }
    }
}

fn walk_command(command: &ast::Command, depth: usize, out: &mut Vec<SimpleCommand>) {
    match command {
        ast::Command::Simple(simple) => walk_simple(simple, depth, out),
        ast::Command::Compound(compound, _) => walk_compound(compound, depth, out),
        ast::Command::Function(f) => walk_compound(&f.body.0, depth, out),
        ast::Command::ExtendedTest(..) => {}
    }
}

fn walk_compound(compound: &ast::CompoundCommand, depth: usize, out: &mut Vec<SimpleCommand>) {
    use ast::CompoundCommand as C;
    match compound {
        C::BraceGroup(g) => walk_list(&g.list, depth, out),
        C::Subshell(s) => walk_list(&s.list, depth, out),
        C::ForClause(f) => {
            for w in f.values.iter().flatten() {
                substitutions(&w.value, depth, out);
            }
            walk_list(&f.body.list, depth, out);
        }
        C::ArithmeticForClause(f) => walk_list(&f.body.list, depth, out),
        C::CaseClause(c) => {
            substitutions(&c.value.value, depth, out);
            for item in &c.cases {
                if let Some(cmd) = &item.cmd {
                    walk_list(cmd, depth, out);
                }
            }
        }
        C::IfClause(i) => {
            walk_list(&i.condition, depth, out);
            walk_list(&i.then, depth, out);
            for e in i.elses.iter().flatten() {
                if let Some(c) = &e.condition {
                    walk_list(c, depth, out);
                }
                walk_list(&e.body, depth, out);
            }
        }
        C::WhileClause(w) | C::UntilClause(w) => {
            walk_list(&w.0, depth, out);
            walk_list(&w.1.list, depth, out);
        }
        C::Coprocess(c) => walk_command(&c.body, depth, out),
        C::Arithmetic(_) => {}
    }
}

fn walk_simple(simple: &ast::SimpleCommand, depth: usize, out: &mut Vec<SimpleCommand>) {
    let mut words = Vec::new();
    let mut stdin = Stdin::Inherited;
    let push_word = |w: &ast::Word, words: &mut Vec<Word>, out: &mut Vec<SimpleCommand>| {
        substitutions(&w.value, depth, out);
        words.push(expand(&w.value));
    };
    use ast::CommandPrefixOrSuffixItem as I;
    for item in simple.prefix.iter().flat_map(|p| &p.0) {
        match item {
            I::IoRedirect(r) => redirect(r, depth, out, &mut stdin),
            // `VAR=x cmd`: the assignment is no command, but may hold a substitution.
            I::AssignmentWord(_, w) => substitutions(&w.value, depth, out),
            I::Word(w) => push_word(w, &mut words, out),
            I::ProcessSubstitution(_, s) => walk_list(&s.list, depth, out),
        }
    }
    if let Some(name) = &simple.word_or_name {
        push_word(name, &mut words, out);
    }
    for item in simple.suffix.iter().flat_map(|s| &s.0) {
        match item {
            I::IoRedirect(r) => redirect(r, depth, out, &mut stdin),
            I::AssignmentWord(_, w) | I::Word(w) => push_word(w, &mut words, out),
            I::ProcessSubstitution(_, s) => walk_list(&s.list, depth, out),
        }
    }
    if words.is_empty() {
        return;
    }
    emit(words, stdin, depth, out);
}

/// A command's words with wrappers removed, or what a `sh -c` string runs.
fn emit(words: Vec<Word>, stdin: Stdin, depth: usize, out: &mut Vec<SimpleCommand>) {
    let words = unwrap(words);
    let name = words.first().and_then(Word::known).map(basename);
    if let Some("bash" | "sh" | "zsh" | "dash" | "ksh") = name
        && let Some(i) = words.iter().position(|w| w.known() == Some("-c"))
    {
        match words.get(i + 1) {
            Some(Word::Known(script)) => nested(script, depth, &stdin, out),
            // An unknowable script could run anything: its name is unknowable too.
            Some(Word::Unknown(s)) => out.push(SimpleCommand {
                words: vec![Word::Unknown(s.clone())],
                stdin,
            }),
            None => {}
        }
        return;
    }
    out.push(SimpleCommand { words, stdin });
}

/// The commands of a nested script (a substitution, a `sh -c` string); one that does not
/// parse runs something no one can know.
fn nested(script: &str, depth: usize, stdin: &Stdin, out: &mut Vec<SimpleCommand>) {
    let from = out.len();
    if walk_text(script, depth + 1, out).is_err() {
        out.push(SimpleCommand {
            words: vec![Word::Unknown(script.to_string())],
            stdin: stdin.clone(),
        });
        return;
    }
    // `sh -c SCRIPT <<EOF`: the script's commands read the outer stdin (any of them might).
    if *stdin != Stdin::Inherited {
        for c in &mut out[from..] {
            if c.stdin == Stdin::Inherited {
                c.stdin = stdin.clone();
            }
        }
    }
}

/// The code of an interpreter one-liner (`python3 -c CODE`, `node -e CODE`, `perl -e CODE`,
/// `ruby -e CODE`, `php -r CODE`), which is a program, not shell: it is asked about, not
/// parsed (`mentions_danger`).
pub fn one_liner(words: &[Word]) -> Option<&Word> {
    let name = basename(words.first()?.known()?);
    let flags: &[&str] = match name.trim_end_matches(|c: char| c.is_ascii_digit() || c == '.') {
        "python" => &["-c"],
        "node" | "nodejs" | "deno" | "bun" => &["-e", "--eval", "-p", "--print"],
        "perl" => &["-e", "-E"],
        "ruby" => &["-e"],
        "php" => &["-r"],
        _ => return None,
    };
    let i = words
        .iter()
        .position(|w| w.known().is_some_and(|f| flags.contains(&f)))?;
    words.get(i + 1)
}

/// Whether an interpreter's code runs one of `tools` or a process, or deletes files: then a
/// human should look, whatever the rules of the tools themselves say.
pub fn mentions_danger(code: &str, tools: &[&str]) -> bool {
    const CALLS: &[&str] = &[
        "system(",
        "popen",
        "subprocess",
        "child_process",
        "exec(",
        "execSync",
        "spawn",
        "Popen",
        "rmtree",
        "unlink",
        "remove(",
        "rmdir",
        "rmSync",
        ".rm(",
        "rm -rf",
        "`",
    ];
    let words = code.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'));
    CALLS.iter().any(|c| code.contains(c)) || words.into_iter().any(|w| tools.contains(&w))
}

/// `/usr/local/bin/railway` is `railway`.
pub fn basename(word: &str) -> &str {
    word.rsplit('/').next().unwrap_or(word)
}

/// Strip the commands that run the rest of their arguments as a command.
fn unwrap(mut words: Vec<Word>) -> Vec<Word> {
    loop {
        let Some(name) = words
            .first()
            .and_then(Word::known)
            .map(|n| basename(n).to_string())
        else {
            return words;
        };
        // How many words after the name each wrapper's own options take, at most: the
        // command starts at the first word that is not an option (or an option's value).
        let skip: &[&str] = match name.as_str() {
            "sudo" => &["-u", "-g", "-h", "-p", "-C", "-D", "-r", "-t", "-U"],
            "env" => &["-u", "-C", "-S", "--unset", "--chdir"],
            "timeout" => &["-s", "-k", "--signal", "--kill-after"],
            "nice" => &["-n", "--adjustment"],
            "watch" => &["-n", "-d", "--interval"],
            "xargs" => &["-I", "-i", "-L", "-n", "-P", "-s", "-d", "-E", "-a"],
            "nohup" | "time" | "command" | "builtin" | "exec" => &[],
            _ => return words,
        };
        let mut i = 1;
        while let Some(w) = words.get(i) {
            let Some(text) = w.known() else { break };
            if name == "env" && !text.starts_with('-') && text.contains('=') {
                i += 1;
                continue;
            }
            if !text.starts_with('-') || text == "-" {
                break;
            }
            i += if skip.contains(&text) { 2 } else { 1 };
            if text == "--" {
                break;
            }
        }
        // `timeout DURATION cmd`: the duration is the first non-option word.
        if name == "timeout" && i < words.len() {
            i += 1;
        }
        if i >= words.len() {
            return words;
        }
        words.drain(..i);
    }
}

/// Walk what a redirection runs (substitutions in its words), and set `stdin` where it
/// redirects fd 0 (the last such redirection wins, as in bash).
fn redirect(r: &ast::IoRedirect, depth: usize, out: &mut Vec<SimpleCommand>, stdin: &mut Stdin) {
    let to_stdin = |fd: &Option<i32>| fd.is_none_or(|fd| fd == 0);
    match r {
        ast::IoRedirect::File(fd, kind, target) => {
            let reads = matches!(
                kind,
                ast::IoFileRedirectKind::Read | ast::IoFileRedirectKind::ReadAndWrite
            ) && to_stdin(fd);
            let source = match target {
                ast::IoFileRedirectTarget::Filename(w) => {
                    substitutions(&w.value, depth, out);
                    match expand(&w.value) {
                        Word::Known(path) => Stdin::File(path),
                        Word::Unknown(_) => Stdin::Unknown,
                    }
                }
                ast::IoFileRedirectTarget::Duplicate(w) => {
                    substitutions(&w.value, depth, out);
                    Stdin::Unknown
                }
                ast::IoFileRedirectTarget::ProcessSubstitution(_, s) => {
                    walk_list(&s.list, depth, out);
                    Stdin::Unknown
                }
                _ => Stdin::Unknown,
            };
            if reads {
                *stdin = source;
            }
        }
        ast::IoRedirect::HereDocument(fd, doc) => {
            let body = &doc.doc.value;
            // An unquoted delimiter expands the body: `$(…)` in it runs, and `$X` is known
            // only when it runs.
            if doc.requires_expansion {
                substitutions(body, depth, out);
            }
            if to_stdin(fd) {
                *stdin = if doc.requires_expansion && body.contains(['$', '`', '\\']) {
                    Stdin::Unknown
                } else {
                    Stdin::Text(body.clone())
                };
            }
        }
        ast::IoRedirect::HereString(fd, w) => {
            substitutions(&w.value, depth, out);
            if to_stdin(fd) {
                *stdin = match expand(&w.value) {
                    Word::Known(text) => Stdin::Text(text + "\n"),
                    Word::Unknown(_) => Stdin::Unknown,
                };
            }
        }
        ast::IoRedirect::OutputAndError(..) => {}
    }
}

/// The commands inside `$(…)` and backticks in a word, wherever they are (quoted or not).
fn substitutions(word: &str, depth: usize, out: &mut Vec<SimpleCommand>) {
    let Ok(pieces) = brush_parser::word::parse(word, &options()) else {
        return;
    };
    substitutions_in(&pieces, depth, out);
}

fn substitutions_in(pieces: &[WordPieceWithSource], depth: usize, out: &mut Vec<SimpleCommand>) {
    for p in pieces {
        match &p.piece {
            WordPiece::CommandSubstitution(inner)
            | WordPiece::BackquotedCommandSubstitution(inner) => {
                nested(inner, depth, &Stdin::Inherited, out)
            }
            WordPiece::DoubleQuotedSequence(inner)
            | WordPiece::GettextDoubleQuotedSequence(inner) => substitutions_in(inner, depth, out),
            _ => {}
        }
    }
}

/// The word's value, if the run cannot change it.
fn expand(word: &str) -> Word {
    let unknown = || Word::Unknown(word.to_string());
    let Ok(pieces) = brush_parser::word::parse(word, &options()) else {
        return unknown();
    };
    let mut value = String::new();
    if !known_value(&pieces, &mut value) {
        return unknown();
    }
    Word::Known(value)
}

fn known_value(pieces: &[WordPieceWithSource], value: &mut String) -> bool {
    for p in pieces {
        match &p.piece {
            WordPiece::Text(t) | WordPiece::SingleQuotedText(t) => {
                // Unquoted glob characters expand against the file system.
                if matches!(p.piece, WordPiece::Text(_)) && t.contains(['*', '?', '[']) {
                    return false;
                }
                value.push_str(t)
            }
            WordPiece::EscapeSequence(e) => value.push_str(e.strip_prefix('\\').unwrap_or(e)),
            WordPiece::AnsiCQuotedText(t) => match ansi_c(t) {
                Some(t) => value.push_str(&t),
                None => return false,
            },
            WordPiece::DoubleQuotedSequence(inner)
            | WordPiece::GettextDoubleQuotedSequence(inner) => {
                if !known_value(inner, value) {
                    return false;
                }
            }
            _ => return false,
        }
    }
    true
}

/// The value of `$'…'` text, for the escapes that matter; anything else is unknowable.
fn ansi_c(text: &str) -> Option<String> {
    let mut out = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next()? {
            'n' => out.push('\n'),
            't' => out.push('\t'),
            'r' => out.push('\r'),
            'e' | 'E' => out.push('\x1b'),
            '\\' => out.push('\\'),
            '\'' => out.push('\''),
            '"' => out.push('"'),
            _ => return None,
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each simple command's words, unknowable ones as `?SOURCE`.
    fn cmds(text: &str) -> Vec<Vec<String>> {
        simple_commands(text)
            .unwrap()
            .into_iter()
            .map(|c| {
                c.words
                    .iter()
                    .map(|w| match w {
                        Word::Known(s) => s.clone(),
                        Word::Unknown(s) => format!("?{s}"),
                    })
                    .collect()
            })
            .collect()
    }

    #[test]
    fn nesting_is_bounded_whatever_quotes_or_closing_brackets_say() {
        assert_eq!(openings("echo ok"), 0);
        assert_eq!(openings("if x; then (a) ; fi; echo \"$(b)\" ${c}"), 4);
        // Quoted and closed openings still count: no arrangement hides depth.
        assert_eq!(openings("echo ')))' ( ')))' ("), 2);
        let deep = format!("{}x{}", "$(".repeat(1001), ")".repeat(1001));
        assert!(simple_commands(&deep).unwrap_err().contains("1001 nested"));
        // Unclosed `((`: the parser backtracks exponentially (0.25 s at 10, seconds at 12,
        // minutes at 16; the thread left behind ends with this test binary).
        let slow = format!("{}x", "((".repeat(12));
        assert!(
            simple_commands("echo 99999999999>x")
                .unwrap_err()
                .contains("descriptor 99999999999")
        );
        assert!(simple_commands("echo 2>/dev/null 12345 > y").is_ok());
        let err = simple_commands_within(&slow, std::time::Duration::from_millis(50)).unwrap_err();
        assert!(err.contains("longer than 50 ms"), "{err}");
    }

    #[test]
    fn lists_pipelines_and_groups_are_cut_into_simple_commands() {
        assert_eq!(
            cmds("git status && git reset --hard"),
            [vec!["git", "status"], vec!["git", "reset", "--hard"]]
        );
        assert_eq!(
            cmds("cat drop.sql | psql; (cd x && railway down) || { echo no; }"),
            [
                vec!["cat", "drop.sql"],
                vec!["psql"],
                vec!["cd", "x"],
                vec!["railway", "down"],
                vec!["echo", "no"]
            ]
        );
        assert_eq!(
            cmds("if true; then railway down; fi"),
            [vec!["true"], vec!["railway", "down"]]
        );
        assert_eq!(cmds("for i in 1 2; do rm -rf \"$i\"; done")[0][0], "rm");
    }

    #[test]
    fn quotes_and_escapes_are_removed_and_variables_are_unknowable() {
        assert_eq!(
            cmds(r#"railway 'volume' "delete" -v pg\-data"#),
            [vec!["railway", "volume", "delete", "-v", "pg-data"]]
        );
        assert_eq!(
            cmds("railway volume delete -v $VOL"),
            [vec!["railway", "volume", "delete", "-v", "?$VOL"]]
        );
        assert_eq!(
            cmds("$(echo railway) volume delete")[1][0],
            "?$(echo railway)"
        );
    }

    #[test]
    fn substitutions_and_shell_strings_are_parsed_again() {
        assert_eq!(
            cmds("echo $(railway volume delete -v x)")[0],
            ["railway", "volume", "delete", "-v", "x"]
        );
        assert_eq!(cmds("echo `railway down`")[0], ["railway", "down"]);
        assert_eq!(
            cmds(r#"bash -c "railway volume rm -v x""#),
            [vec!["railway", "volume", "rm", "-v", "x"]]
        );
        assert_eq!(
            cmds(r#"sh -c 'sh -c "git push --force"'"#),
            [vec!["git", "push", "--force"]]
        );
        assert_eq!(cmds("bash -c \"$SCRIPT\""), [vec!["?\"$SCRIPT\""]]);
    }

    #[test]
    fn wrappers_prefixes_and_paths_are_seen_through() {
        assert_eq!(
            cmds("sudo -E env X=1 railway down"),
            [vec!["railway", "down"]]
        );
        assert_eq!(
            cmds("VAR=x timeout -s KILL 10 nice -n 5 nohup time git push --force")[0],
            ["git", "push", "--force"]
        );
        assert_eq!(
            cmds("/usr/local/bin/railway volume delete -v x")[0][0],
            "/usr/local/bin/railway"
        );
        assert_eq!(basename("/usr/local/bin/railway"), "railway");
        assert_eq!(
            cmds("xargs -n 1 railway volume delete -v")[0][..3],
            ["railway", "volume", "delete"]
        );
    }

    #[test]
    fn stdin_shows_the_text_the_string_carries_and_marks_what_it_cannot() {
        let stdin = |text: &str| simple_commands(text).unwrap().pop().unwrap().stdin;
        assert_eq!(
            stdin("psql <<'SQL'\nDROP TABLE users;\nSQL\n"),
            Stdin::Text("DROP TABLE users;\n".into())
        );
        // An unquoted delimiter expands `$X`: known only when it runs.
        assert_eq!(stdin("psql <<SQL\nDROP TABLE $T;\nSQL\n"), Stdin::Unknown);
        assert_eq!(
            stdin("psql <<SQL\nDROP TABLE t;\nSQL\n"),
            Stdin::Text("DROP TABLE t;\n".into())
        );
        assert_eq!(
            stdin("psql <<< 'DROP TABLE t'"),
            Stdin::Text("DROP TABLE t\n".into())
        );
        assert_eq!(stdin("psql < drop.sql"), Stdin::File("drop.sql".into()));
        assert_eq!(stdin("psql < $F"), Stdin::Unknown);
        assert_eq!(stdin("psql > out.txt"), Stdin::Inherited);
        let piped = simple_commands("cat drop.sql | psql").unwrap();
        assert_eq!(
            (&piped[0].stdin, &piped[1].stdin),
            (&Stdin::Inherited, &Stdin::Unknown)
        );
        // The last redirection wins, over a pipe too.
        assert_eq!(
            stdin("echo x | psql < drop.sql"),
            Stdin::File("drop.sql".into())
        );
        // `sh -c` passes its stdin on to what the script runs.
        assert_eq!(
            stdin("sh -c 'psql' <<< 'DROP TABLE t'"),
            Stdin::Text("DROP TABLE t\n".into())
        );
        // A substitution in an unquoted here-document runs.
        let c = simple_commands("cat <<EOF\n$(railway down)\nEOF\n").unwrap();
        assert_eq!(c[0].words[0], Word::Known("railway".into()));
    }

    #[test]
    fn interpreter_one_liners_are_found_and_judged_by_what_they_mention() {
        let c = simple_commands(r#"python3 -c 'import os; os.system("railway down")'"#).unwrap();
        let code = one_liner(&c[0].words).unwrap().text().to_string();
        assert!(mentions_danger(&code, &["railway"]));
        assert!(
            one_liner(&simple_commands("node -e 'console.log(1)'").unwrap()[0].words).is_some()
        );
        assert!(!mentions_danger("console.log(1)", &["railway"]));
        assert!(mentions_danger("require('fs').unlinkSync('x')", &[]));
        assert!(one_liner(&simple_commands("python3 script.py").unwrap()[0].words).is_none());
        assert!(one_liner(&simple_commands("perl -E 'say 1'").unwrap()[0].words).is_some());
    }

    #[test]
    fn deep_nesting_stops_at_a_bound() {
        let mut text = "railway down".to_string();
        for _ in 0..20 {
            text = format!("echo $({text})");
        }
        let c = simple_commands(&text).unwrap();
        assert!(c.iter().any(|c| matches!(c.words[0], Word::Unknown(_))));
    }
}
