//! errlens reads WhatsApp Business gateway request logs, finds the API's error envelopes and
//! turns them into error reports.
//!
//! Data flows one way: [`input`] sources → [`scan`] newline-aligned chunks → [`extract`]
//! classified records → [`agg`] mergeable aggregates (built in parallel) → [`report`] polars
//! tables → [`render`] output.

pub mod agg;
pub mod catalog;
pub mod cli;
pub mod error;
pub mod extract;
pub mod filter;
pub mod history;
pub mod input;
pub mod memory;
pub mod par;
pub mod render;
pub mod report;
pub mod scan;
pub mod secret;
pub mod synth;
pub mod zone;
