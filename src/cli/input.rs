//! Options every reading command shares: inputs, field mapping, limits, filters, secrets.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context as _, Result};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::agg::driver::{self, Options, Run};
use crate::agg::{Aggregate, Caps, Sink, Spill};
use crate::catalog::Catalog;
use crate::extract::{Extractor, FieldMap, time};
use crate::filter::Filter;
use crate::input::{self, Source};

/// Parses sizes such as `16777216`, `64K`, `16M`, `16MiB`, `1G`.
fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: u64 = num
        .parse()
        .map_err(|_| format!("`{s}` is not a size (e.g. 16M)"))?;
    let mult = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        _ => return Err(format!("`{s}`: unknown unit (use K, M or G)")),
    };
    n.checked_mul(mult)
        .filter(|&v| v > 0)
        .ok_or_else(|| format!("`{s}` is out of range"))
}

/// The built-in dictionary extended by catalog files, in order.
pub fn load_catalog(files: &[PathBuf]) -> Result<Catalog> {
    let mut c = Catalog::builtin();
    for f in files {
        c.extend_from_file(f)?;
    }
    Ok(c)
}

#[derive(Debug, clap::Args)]
pub struct InputArgs {
    /// Log files or directories (walked recursively, hidden files skipped); `-` or nothing
    /// reads stdin. gzip and zstd are detected by their magic bytes, whatever the name.
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// Where a record's fields are, as NAME=PATH[,PATH...] with dotted paths into nested
    /// objects; replaces the default names for NAME. Names: time, key, authorization, status,
    /// endpoint, method, envelope. Example: --field key=request.auth.key
    #[arg(long = "field", value_name = "NAME=PATH")]
    pub fields: Vec<String>,

    /// Count only requests at or after this time (RFC 3339, or a date meaning its start, UTC).
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,

    /// Count only requests before this time (RFC 3339, or a date meaning the end of that day).
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,

    /// Count only requests made with this API key (the key itself or its fingerprint).
    /// Repeat for several.
    #[arg(long = "key", value_name = "KEY")]
    pub keys: Vec<String>,

    /// Count only requests that failed with this error code. Repeat or separate with commas.
    #[arg(long = "code", value_name = "CODE", value_delimiter = ',')]
    pub codes: Vec<String>,

    /// Add or override error codes from a catalog file (TOML `[[code]]` tables or a JSON
    /// array, each with code, status, group, description). Repeat for several; later wins.
    #[arg(long = "catalog", value_name = "FILE")]
    pub catalogs: Vec<PathBuf>,

    /// Show API keys and bearer tokens in full instead of masked (`wk_l…9f3a`).
    #[arg(long)]
    pub show_keys: bool,

    /// Lines longer than this are counted as malformed without being held in memory.
    #[arg(long, value_name = "SIZE", default_value = "16M", value_parser = parse_size)]
    pub max_line_bytes: u64,

    /// Distinct API keys kept; past it, further keys are counted in one `(other)` row (totals
    /// stay exact), with a warning. Bounds memory on hostile input: about 200 bytes a key.
    #[arg(long, value_name = "N", default_value_t = Caps::default().keys)]
    pub max_keys: usize,

    /// Distinct error codes (and groups, and descriptions per code) kept; the rest go to `(other)`.
    #[arg(long, value_name = "N", default_value_t = Caps::default().codes)]
    pub max_codes: usize,

    /// Distinct endpoints per method (and methods) kept; the rest go to `(other)`.
    #[arg(long, value_name = "N", default_value_t = Caps::default().endpoints)]
    pub max_endpoints: usize,

    /// Memory for RATE_001 events per thread (the offenders analysis needs every one); past
    /// it they move to a temporary file in $TMPDIR, deleted on exit, so memory stays flat
    /// however large the input. The results are the same either way.
    #[arg(long, value_name = "SIZE", default_value = "256K", value_parser = parse_size)]
    pub spill_after: u64,

    /// Threads that read and parse, the reader included: -j 1 runs on one core [default: the
    /// number of CPUs].
    #[arg(long, short = 'j', value_name = "N")]
    pub threads: Option<usize>,

    /// Bytes per chunk handed to a worker (for tuning and tests). 256K: a chunk is still in
    /// the reading core's cache when another core parses it (-j 2 used 2-4% less CPU than
    /// with 1M chunks).
    #[arg(long, value_name = "SIZE", default_value = "256K", value_parser = parse_size, hide = true)]
    pub chunk_bytes: u64,

    /// No progress bar (and for `daily`, no list of the files written).
    #[arg(long, short)]
    pub quiet: bool,
}

impl InputArgs {
    /// The request filter these options describe.
    pub fn filter(&self) -> Result<Filter> {
        let bound = |v: &Option<String>, end: bool, flag: &str| -> Result<Option<i64>> {
            v.as_deref()
                .map(|s| time::parse_bound(s, end).map_err(anyhow::Error::msg))
                .transpose()
                .context(flag.to_owned())
        };
        Ok(Filter {
            since: bound(&self.since, false, "--since")?,
            until: bound(&self.until, true, "--until")?,
            keys: self.keys.clone(),
            codes: self
                .codes
                .iter()
                .map(|c| c.trim().to_owned())
                .filter(|c| !c.is_empty())
                .collect(),
        })
    }

    /// The filters in force, for report headers (keys masked unless shown).
    pub fn filter_labels(&self) -> Vec<(String, String)> {
        let mut v = Vec::new();
        if let Some(s) = &self.since {
            v.push(("since".into(), s.clone()));
        }
        if let Some(s) = &self.until {
            v.push(("until".into(), s.clone()));
        }
        for k in &self.keys {
            v.push(("key".into(), crate::secret::shown(k, self.show_keys)));
        }
        if !self.codes.is_empty() {
            v.push(("code".into(), self.codes.join(",")));
        }
        v
    }

    /// The dictionary in force: the built-in one and the `--catalog` files.
    pub fn catalog(&self) -> Result<Catalog> {
        load_catalog(&self.catalogs)
    }

    pub fn extractor(&self) -> Result<Extractor> {
        let mut fields = FieldMap::default();
        for f in &self.fields {
            fields.set(f)?;
        }
        Ok(Extractor::new(&fields, self.max_line_bytes)?)
    }

    /// Expands the paths and reads everything, with a progress bar on a terminal.
    pub fn run(
        &self,
        filter: &Filter,
        collect_rejects: bool,
    ) -> Result<(Vec<Source>, Run, Vec<String>)> {
        let caps = self.caps();
        let spill = Arc::new(Spill::new(
            usize::try_from(self.spill_after).unwrap_or(usize::MAX),
        ));
        let out = self.run_with(filter, collect_rejects, || {
            Aggregate::with_caps(caps).with_spill(spill.clone())
        })?;
        if let Some(why) = spill.failure() {
            eprintln!(
                "errlens: warning: could not move RATE_001 events to a temporary file ({why}); the rest were kept in memory"
            );
        }
        Ok(out)
    }

    /// The `--max-*` caps.
    pub fn caps(&self) -> Caps {
        Caps {
            keys: self.max_keys.max(1),
            codes: self.max_codes.max(1),
            endpoints: self.max_endpoints.max(1),
        }
    }

    /// [`InputArgs::run`] into any sink.
    pub fn run_with<S: Sink>(
        &self,
        filter: &Filter,
        collect_rejects: bool,
        empty: impl Fn() -> S + Sync + Send,
    ) -> Result<(Vec<Source>, Run<S>, Vec<String>)> {
        let ex = self.extractor()?;
        let (sources, open_errors) = input::expand(&self.paths);
        let progress = (!self.quiet && std::io::stderr().is_terminal()).then(|| {
            let total: Option<u64> = sources.iter().map(Source::size).sum();
            let pb = match total {
                Some(t) => ProgressBar::new(t),
                None => ProgressBar::new_spinner(),
            };
            pb.set_draw_target(ProgressDrawTarget::stderr());
            if let Ok(style) = ProgressStyle::with_template(
                "{spinner} {bytes}/{total_bytes} read ({bytes_per_sec}, {eta} left) {wide_bar}",
            ) {
                pb.set_style(style);
            }
            pb
        });
        let threads = self.threads.unwrap_or(Options::default().threads);
        // rayon's global pool carries `-j` to the analyses after reading (the offenders
        // analysis runs that many threads). Built once; a second call (tests in
        // one process) keeps the first.
        let _ = rayon::ThreadPoolBuilder::new()
            .num_threads(threads.max(1))
            .build_global();
        let opts = Options {
            threads,
            chunk_size: self.chunk_bytes as usize,
            collect_rejects,
            progress: progress.clone(),
            ..Options::default()
        };
        let run = driver::run_with(&sources, &ex, filter, &opts, empty)?;
        // The threads' chunk buffers and partials are freed; what follows runs on other
        // threads and could not reuse that memory.
        crate::memory::release_free_memory();
        if let Some(pb) = progress {
            pb.finish_and_clear();
        }
        let problems = open_errors
            .iter()
            .chain(run.errors.iter())
            .map(|e| e.to_string())
            .collect();
        Ok((sources, run, problems))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn sizes() {
        assert_eq!(super::parse_size("16M"), Ok(16 << 20));
        assert_eq!(super::parse_size("64kib"), Ok(64 << 10));
        assert_eq!(super::parse_size("100"), Ok(100));
        assert!(super::parse_size("0").is_err());
        assert!(super::parse_size("12Q").is_err());
    }
}
