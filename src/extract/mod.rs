//! Records from lines: field lookup, the borrowed JSON walk, time parsing, classification.

pub mod fast;
pub mod fields;
pub mod json;
pub mod record;
pub mod retry;
pub mod time;

pub use fields::{FieldMap, Slot};
pub use record::{Envelope, ErrorItem, Extractor, Line, Malformed, Record};
