//! Renderers: each turns a [`Report`](crate::report::Report) and the run's context into bytes.

pub mod chart;
pub mod document;
pub mod formats;
pub mod json;
pub mod table;
pub mod text;

use crate::agg::driver::SourceSummary;

/// What a report is about, beyond its tables: inputs, problems met, filters applied.
#[derive(Clone, Debug, Default)]
pub struct Context {
    pub inputs: Vec<SourceSummary>,
    /// Messages for inputs that could not be read in full.
    pub input_errors: Vec<String>,
    /// The filters in force, as `name = value` pairs, for the header.
    pub filters: Vec<(String, String)>,
    /// Terminal output may use colour (see [`colour_wanted`]).
    pub colour: bool,
}

/// Colour only on a terminal, and never when `NO_COLOR` is set to anything but "" (no-color.org).
pub fn colour_wanted(terminal: bool, no_color: Option<&std::ffi::OsStr>) -> bool {
    terminal && no_color.is_none_or(|v| v.is_empty())
}

/// ANSI styles, or nothing when colour is off.
#[derive(Clone, Copy, Debug)]
pub struct Paint(pub bool);

impl Paint {
    fn wrap(self, code: &str, s: &str) -> String {
        if self.0 {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_owned()
        }
    }

    /// Headings.
    pub fn bold(self, s: &str) -> String {
        self.wrap("1", s)
    }

    /// Something wrong: a failed reconciliation, an input problem.
    pub fn red(self, s: &str) -> String {
        self.wrap("1;31", s)
    }
}
