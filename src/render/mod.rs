//! Renderers: each turns a [`Report`](crate::report::Report) and the run's context into bytes.

pub mod chart;
pub mod document;
pub mod formats;
pub mod json;
pub mod table;
pub mod text;

use polars::prelude::AnyValue;

use crate::agg::driver::SourceSummary;

/// What a report is about, beyond its tables: inputs, problems met, filters applied.
#[derive(Clone, Debug, Default)]
pub struct Context {
    pub inputs: Vec<SourceSummary>,
    /// Messages for inputs that could not be read in full.
    pub input_errors: Vec<String>,
    /// The filters in force, as `name = value` pairs, for the header.
    pub filters: Vec<(String, String)>,
}

/// A cell as JSON.
pub(crate) fn any_to_json(v: &AnyValue<'_>) -> serde_json::Value {
    use serde_json::Value;
    match v {
        AnyValue::Null => Value::Null,
        AnyValue::Boolean(b) => Value::Bool(*b),
        AnyValue::String(s) => Value::String((*s).to_owned()),
        AnyValue::StringOwned(s) => Value::String(s.to_string()),
        AnyValue::UInt32(n) => (*n).into(),
        AnyValue::UInt64(n) => (*n).into(),
        AnyValue::Int32(n) => (*n).into(),
        AnyValue::Int64(n) => (*n).into(),
        AnyValue::Float64(f) => serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number),
        other => Value::String(other.to_string()),
    }
}
