//! `errlens catalog`: the error dictionary in force.

use std::path::PathBuf;

use anyhow::Result;
use polars::prelude::*;

use super::EXIT_OK;
use super::input::load_catalog;
use super::output::{self, Format};
use crate::render::{self, formats};
use crate::report::{col, table};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Catalog files to add (TOML or JSON), as with `report --catalog`.
    #[arg(long = "catalog", value_name = "FILE")]
    catalogs: Vec<PathBuf>,

    /// Output format.
    #[arg(long, short, value_enum, default_value_t = Format::Table)]
    format: Format,
}

pub fn run(args: Args) -> Result<i32> {
    let catalog = load_catalog(&args.catalogs)?;
    let mut entries = catalog.entries().to_vec();
    entries.sort_by(|a, b| a.code.cmp(&b.code));
    let df = DataFrame::new_infer_height(vec![
        col(
            "code",
            entries.iter().map(|e| e.code.clone()).collect::<Vec<_>>(),
        ),
        col(
            "status",
            entries.iter().map(|e| e.status as u32).collect::<Vec<_>>(),
        ),
        col(
            "group",
            entries.iter().map(|e| e.group.clone()).collect::<Vec<_>>(),
        ),
        col(
            "description",
            entries
                .iter()
                .map(|e| e.description.clone())
                .collect::<Vec<_>>(),
        ),
    ])?;
    let t = table("catalog", "Error dictionary", df, None);
    let text = match args.format {
        Format::Table => format!("{}\n", render::table::grid(&t)),
        Format::Json => format!(
            "{}\n",
            serde_json::to_string_pretty(&render::json::rows(&t))?
        ),
        Format::Csv => formats::csv(&t),
        Format::Md => formats::markdown(&t),
        Format::Html => formats::html_page("errlens: error dictionary", &formats::html_table(&t)),
        Format::Parquet => anyhow::bail!("errlens catalog has no parquet output"),
    };
    output::emit(None, text.as_bytes())?;
    Ok(EXIT_OK)
}
