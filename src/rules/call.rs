//! One intercepted call as the matchers see it: the parsed command line, the environment, and
//! what the command would send or run (request body, SQL), extracted on first use through the
//! `Inputs` the edge provides.

use super::command::CommandLine;
use super::compiled::ContentSpec;
use super::content::{self, Content, Inputs, NoInputs};
use super::model::SqlClass;
use std::cell::OnceCell;
use std::ffi::OsString;
use std::os::unix::ffi::OsStrExt as _;

static NO_CONTENT: ContentSpec = ContentSpec::NONE;

pub struct Call<'a> {
    pub line: CommandLine<'a>,
    /// The variables the rules test (`env:`), as the caller set them.
    pub env: &'a [(OsString, OsString)],
    content: &'a ContentSpec,
    inputs: &'a dyn Inputs,
    /// Computed on first use: only a rule whose cheaper keys matched reads files.
    payload: OnceCell<Content>,
    sql: OnceCell<(Content, Vec<SqlClass>)>,
}

impl<'a> Call<'a> {
    /// A call with no content flags and no world around it.
    pub fn new(line: CommandLine<'a>, env: &'a [(OsString, OsString)]) -> Self {
        Call {
            line,
            env,
            content: &NO_CONTENT,
            inputs: &NoInputs,
            payload: OnceCell::new(),
            sql: OnceCell::new(),
        }
    }

    /// Where content matchers find the body and SQL, and the world outside the command line.
    pub fn with_content(mut self, spec: &'a ContentSpec, inputs: &'a dyn Inputs) -> Self {
        self.content = spec;
        self.inputs = inputs;
        self
    }

    pub fn inputs(&self) -> &dyn Inputs {
        self.inputs
    }

    pub fn payload(&self) -> &Content {
        self.payload
            .get_or_init(|| content::payload(&self.line, self.content, self.inputs))
    }

    /// The SQL the command would run, and the classes of its statements.
    pub fn sql(&self) -> &(Content, Vec<SqlClass>) {
        self.sql.get_or_init(|| {
            let c = content::sql(&self.line, self.content, self.inputs);
            let classes = c
                .parts
                .iter()
                .flat_map(|p| {
                    super::sql::classify(&String::from_utf8_lossy(p), self.content.dialect)
                })
                .collect();
            (c, classes)
        })
    }

    pub fn env_var(&self, name: &str) -> Option<&'a [u8]> {
        self.env
            .iter()
            .find(|(k, _)| k.as_bytes() == name.as_bytes())
            .map(|(_, v)| v.as_bytes())
    }
}
