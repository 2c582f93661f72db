//! Per-day figures kept between `errlens daily` runs in a plain Parquet file, so a run over
//! one day's dump still compares with the days before. The schema is documented in README.md.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use polars::prelude::*;

use crate::agg::daily::Day;
use crate::agg::{Merge, ReqErr};

/// What a day's comparison needs, from this run or from the history file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DayFigures {
    pub requests: u64,
    pub errors: u64,
    /// Requests and error responses by local hour.
    pub hours: [ReqErr; 24],
    /// Error items by (code, group).
    pub codes: BTreeMap<(Option<String>, Option<String>), u64>,
}

impl DayFigures {
    pub fn of(day: &Day) -> DayFigures {
        let mut codes = BTreeMap::new();
        for (code, stats) in day.agg.codes.iter() {
            for (group, n) in stats.groups.iter() {
                codes.insert((code.map(str::to_owned), group.map(str::to_owned)), *n);
            }
        }
        DayFigures {
            requests: day.agg.totals.requests,
            errors: day.agg.totals.errors,
            hours: day.hours,
            codes,
        }
    }

    /// Error items by code, groups summed.
    pub fn by_code(&self) -> BTreeMap<Option<&str>, u64> {
        let mut m = BTreeMap::new();
        for ((c, _), n) in &self.codes {
            *m.entry(c.as_deref()).or_default() += n;
        }
        m
    }
}

/// A history file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    #[error("history {path}: cannot read it as Parquet: {error}")]
    Read { path: PathBuf, error: String },
    #[error(
        "history {path}: {what} (expected the schema in README.md: day, tz, kind, hour, code, group, requests, errors)"
    )]
    Schema { path: PathBuf, what: String },
    #[error(
        "history {path} counts days in time zone {theirs}, this run in {ours}: use --tz {theirs} or another history file"
    )]
    Zone {
        path: PathBuf,
        theirs: String,
        ours: String,
    },
}

/// Day figures by local day number (days since 1970-01-01), in one time zone.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct History {
    pub days: BTreeMap<i32, DayFigures>,
}

impl History {
    /// Reads `path`; a missing file is an empty history (the first run creates it).
    pub fn load(path: &Path, zone: &str) -> Result<History, HistoryError> {
        if !path.exists() {
            return Ok(History::default());
        }
        let read_err = |e: &dyn std::fmt::Display| HistoryError::Read {
            path: path.to_owned(),
            error: e.to_string(),
        };
        let file = std::fs::File::open(path).map_err(|e| read_err(&e))?;
        let df = ParquetReader::new(file)
            .finish()
            .map_err(|e| read_err(&e))?;
        Self::from_frame(&df, zone).map_err(|e| match e {
            FrameError::Polars(e) => HistoryError::Schema {
                path: path.to_owned(),
                what: e.to_string(),
            },
            FrameError::Bad(what) => HistoryError::Schema {
                path: path.to_owned(),
                what,
            },
            FrameError::Zone(theirs) => HistoryError::Zone {
                path: path.to_owned(),
                theirs,
                ours: zone.to_owned(),
            },
        })
    }

    fn from_frame(df: &DataFrame, zone: &str) -> Result<History, FrameError> {
        let day = df.column("day")?.cast(&DataType::Int32)?;
        let day = day.i32()?;
        let tz = df.column("tz")?.str()?;
        let kind = df.column("kind")?.str()?;
        let hour = df.column("hour")?.cast(&DataType::Int32)?;
        let hour = hour.i32()?;
        let code = df.column("code")?.str()?;
        let group = df.column("group")?.str()?;
        let requests = df.column("requests")?.cast(&DataType::UInt64)?;
        let requests = requests.u64()?;
        let errors = df.column("errors")?.cast(&DataType::UInt64)?;
        let errors = errors.u64()?;
        let mut days: BTreeMap<i32, DayFigures> = BTreeMap::new();
        for i in 0..df.height() {
            let row = i + 1;
            let theirs = tz.get(i).unwrap_or("");
            if theirs != zone {
                return Err(FrameError::Zone(theirs.to_owned()));
            }
            let d = day
                .get(i)
                .ok_or_else(|| FrameError::Bad(format!("row {row}: no day")))?;
            let f = days.entry(d).or_default();
            match kind.get(i) {
                Some("hour") => {
                    let h = hour
                        .get(i)
                        .filter(|h| (0..24).contains(h))
                        .ok_or_else(|| FrameError::Bad(format!("row {row}: hour not 0 to 23")))?;
                    let re = ReqErr {
                        requests: requests.get(i).unwrap_or(0),
                        errors: errors.get(i).unwrap_or(0),
                    };
                    f.hours[h as usize].merge(re);
                    f.requests += re.requests;
                    f.errors += re.errors;
                }
                Some("code") => {
                    let key = (
                        code.get(i).map(str::to_owned),
                        group.get(i).map(str::to_owned),
                    );
                    *f.codes.entry(key).or_default() += errors.get(i).unwrap_or(0);
                }
                other => {
                    return Err(FrameError::Bad(format!(
                        "row {row}: kind {other:?} is neither \"hour\" nor \"code\""
                    )));
                }
            }
        }
        Ok(History { days })
    }

    /// The history as one long table: an `hour` row per day and hour with traffic, a `code`
    /// row per day, code and group.
    pub fn to_frame(&self, zone: &str) -> PolarsResult<DataFrame> {
        let (mut day, mut kind, mut hour, mut code, mut group, mut requests, mut errors) =
            (vec![], vec![], vec![], vec![], vec![], vec![], vec![]);
        for (d, f) in &self.days {
            for (h, re) in f.hours.iter().enumerate() {
                if re.requests == 0 && re.errors == 0 {
                    continue;
                }
                day.push(*d);
                kind.push("hour");
                hour.push(Some(h as i32));
                code.push(None);
                group.push(None);
                requests.push(Some(re.requests));
                errors.push(re.errors);
            }
            for ((c, g), n) in &f.codes {
                day.push(*d);
                kind.push("code");
                hour.push(None);
                code.push(c.clone());
                group.push(g.clone());
                requests.push(None);
                errors.push(*n);
            }
        }
        let n = day.len();
        DataFrame::new_infer_height(vec![
            Column::new("day".into(), day).cast(&DataType::Date)?,
            Column::new("tz".into(), vec![zone; n]),
            Column::new("kind".into(), kind),
            Column::new("hour".into(), hour),
            Column::new("code".into(), code),
            Column::new("group".into(), group),
            Column::new("requests".into(), requests),
            Column::new("errors".into(), errors),
        ])
    }

    /// Writes the history to `file` as Parquet.
    pub fn write_to(&self, zone: &str, file: &mut std::fs::File) -> std::io::Result<()> {
        let mut df = self
            .to_frame(zone)
            .map_err(|e| std::io::Error::other(e.to_string()))?;
        ParquetWriter::new(file)
            .finish(&mut df)
            .map(drop)
            .map_err(|e| std::io::Error::other(e.to_string()))
    }
}

enum FrameError {
    Polars(PolarsError),
    Bad(String),
    Zone(String),
}

impl From<PolarsError> for FrameError {
    fn from(e: PolarsError) -> Self {
        FrameError::Polars(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_history_survives_parquet() {
        let mut h = History::default();
        let mut f = DayFigures {
            requests: 10,
            errors: 4,
            ..Default::default()
        };
        f.hours[3] = ReqErr {
            requests: 6,
            errors: 1,
        };
        f.hours[23] = ReqErr {
            requests: 4,
            errors: 3,
        };
        f.codes.insert(
            (Some("RATE_001".into()), Some("TOO_MANY_REQUESTS".into())),
            3,
        );
        f.codes.insert((None, None), 2);
        h.days.insert(20_000, f);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("h.parquet");
        let mut file = std::fs::File::create(&path).unwrap();
        h.write_to("Europe/Istanbul", &mut file).unwrap();
        drop(file);
        assert_eq!(History::load(&path, "Europe/Istanbul").unwrap(), h);
        let err = History::load(&path, "UTC").unwrap_err().to_string();
        assert!(err.contains("Europe/Istanbul"), "{err}");
        std::fs::write(&path, b"not parquet").unwrap();
        let err = History::load(&path, "UTC").unwrap_err().to_string();
        assert!(err.contains("h.parquet"), "{err}");
    }
}
