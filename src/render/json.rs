//! The report as one JSON document; the schema is documented in README.md.

use serde_json::{Map, Value, json};

use super::{Context, any_to_json};
use crate::report::{Report, Table};

/// Rows of a table as JSON objects, in table order.
pub fn rows(t: &Table) -> Value {
    let cols = t.df.columns();
    let rows = (0..t.df.height())
        .map(|i| {
            let mut obj = Map::new();
            for c in cols {
                let v = c.get(i).map(|v| any_to_json(&v)).unwrap_or(Value::Null);
                obj.insert(c.name().to_string(), v);
            }
            Value::Object(obj)
        })
        .collect();
    Value::Array(rows)
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
pub fn render(report: &Report, ctx: &Context) -> Value {
    let mut doc = header(ctx);
    doc.insert(
        "totals".into(),
        serde_json::to_value(report.totals).unwrap_or(Value::Null),
    );
    for t in &report.tables {
        doc.insert(t.name.into(), rows(t));
    }
    Value::Object(doc)
}
