//! The report as one JSON document; the schema is documented in README.md.

use polars::prelude::AnyValue;
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use serde_json::{Map, Value, json};

use super::Context;
use crate::report::{Report, Table};

/// A table serialized as an array of row objects, in table order, straight from its columns
/// (no `Value` per cell: a day's tables run to tens of thousands of rows).
pub struct Rows<'a>(pub &'a Table);

impl Serialize for Rows<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let cols: Vec<(&str, Vec<AnyValue<'_>>)> = self
            .0
            .df
            .columns()
            .iter()
            .map(|c| {
                (
                    c.name().as_str(),
                    c.as_materialized_series().iter().collect(),
                )
            })
            .collect();
        let mut seq = s.serialize_seq(Some(self.0.df.height()))?;
        for i in 0..self.0.df.height() {
            seq.serialize_element(&Row(&cols, i))?;
        }
        seq.end()
    }
}

struct Row<'a>(&'a [(&'a str, Vec<AnyValue<'a>>)], usize);

impl Serialize for Row<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (name, values) in self.0 {
            m.serialize_entry(name, &Cell(values.get(self.1).unwrap_or(&AnyValue::Null)))?;
        }
        m.end()
    }
}

/// One cell: numbers as numbers, null (and a non-finite float) as null, the rest as text.
struct Cell<'a>(&'a AnyValue<'a>);

impl Serialize for Cell<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            AnyValue::Null => s.serialize_none(),
            AnyValue::Boolean(b) => s.serialize_bool(*b),
            AnyValue::String(v) => s.serialize_str(v),
            AnyValue::StringOwned(v) => s.serialize_str(v),
            AnyValue::UInt32(n) => s.serialize_u32(*n),
            AnyValue::UInt64(n) => s.serialize_u64(*n),
            AnyValue::Int32(n) => s.serialize_i32(*n),
            AnyValue::Int64(n) => s.serialize_i64(*n),
            AnyValue::Float64(f) if f.is_finite() => s.serialize_f64(*f),
            AnyValue::Float64(_) => s.serialize_none(),
            other => s.serialize_str(&other.to_string()),
        }
    }
}

/// Rows of a table as JSON objects, in table order.
pub fn rows(t: &Table) -> Value {
    serde_json::to_value(Rows(t)).unwrap_or(Value::Null)
}

/// A document: the `head` members, then one member per table; pretty, with a final newline.
pub fn document(head: Map<String, Value>, tables: &[Table]) -> serde_json::Result<String> {
    struct Doc<'a>(Map<String, Value>, &'a [Table]);
    impl Serialize for Doc<'_> {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            let mut m = s.serialize_map(Some(self.0.len() + self.1.len()))?;
            for (k, v) in &self.0 {
                m.serialize_entry(k, v)?;
            }
            for t in self.1 {
                m.serialize_entry(t.name, &Rows(t))?;
            }
            m.end()
        }
    }
    let mut s = serde_json::to_string_pretty(&Doc(head, tables))?;
    s.push('\n');
    Ok(s)
}

/// The members every JSON document starts with: version, inputs, input problems, filters.
pub fn header(ctx: &Context) -> Map<String, Value> {
    let mut doc = Map::new();
    doc.insert("errlens_version".into(), json!(env!("CARGO_PKG_VERSION")));
    let inputs = ctx
        .inputs
        .iter()
        .map(|s| {
            json!({
                "name": s.name,
                "lines": s.lines,
                "bytes": s.bytes,
                "encoding": s.encoding.map(|e| format!("{e:?}").to_lowercase()),
            })
        })
        .collect();
    doc.insert("inputs".into(), Value::Array(inputs));
    doc.insert("input_errors".into(), json!(ctx.input_errors));
    let filters = ctx
        .filters
        .iter()
        .map(|(k, v)| (k.clone(), json!(v)))
        .collect();
    doc.insert("filters".into(), Value::Object(filters));
    doc
}

/// The whole report document.
pub fn render(report: &Report, ctx: &Context) -> serde_json::Result<String> {
    let mut doc = header(ctx);
    doc.insert("totals".into(), serde_json::to_value(report.totals)?);
    if !report.notes.is_empty() {
        doc.insert("notes".into(), json!(report.notes));
    }
    document(doc, &report.tables)
}
