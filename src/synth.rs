//! `errlens gen`: deterministic synthetic request logs for demos, tests and benchmarks,
//! with a summary of exactly what was written so tests can check the report against it.

use std::collections::BTreeMap;
use std::io::{self, Write};

use serde::Serialize;

use crate::extract::time::{MICROS_PER_DAY, civil_from_days, day_of, format_day};
use crate::secret;

/// Which record shapes to write.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Shape {
    /// Every shape errlens reads: prefixes, nested and string envelopes, epoch times, CRLF,
    /// escapes, blank, malformed and unrecognized lines, proxy errors without an envelope.
    Mixed,
    /// Only `{"ts","method","path","status","latency_ms","api_key","response":{..}}` lines,
    /// which other tools (DuckDB, polars, jq) read too.
    Nested,
}

/// What to generate.
#[derive(Clone, Debug)]
pub struct GenOptions {
    pub lines: u64,
    pub days: u32,
    pub keys: u32,
    pub seed: u64,
    /// First day, as days since 1970-01-01.
    pub start_day: i64,
    pub shape: Shape,
    /// Share of the traffic from the throttled keys (0.2: a fifth). About 40% of their
    /// requests get RATE_001.
    pub hot_share: f64,
}

/// Counts of what was written, in the report's terms.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct Summary {
    pub lines: u64,
    pub blank: u64,
    pub malformed: u64,
    pub unrecognized: u64,
    pub requests: u64,
    pub successes: u64,
    pub errors: u64,
    pub by_code: Vec<CodeCount>,
    pub by_day: BTreeMap<String, DayCount>,
    /// The keys the generator throttles on purpose, with their RATE_001 counts.
    pub throttled_keys: Vec<ThrottledKey>,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct CodeCount {
    pub code: Option<String>,
    pub count: u64,
}

#[derive(Clone, Copy, Debug, Default, Serialize, PartialEq, Eq)]
pub struct DayCount {
    pub requests: u64,
    pub errors: u64,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct ThrottledKey {
    pub key_fingerprint: String,
    pub rate_limited: u64,
}

/// SplitMix64: tiny, fast, and the same on every platform and version.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// One kind of failure the generator writes.
#[derive(Clone, Copy)]
struct Failure {
    code: Option<&'static str>,
    status: u16,
    group: &'static str,
    description: &'static str,
    weight: u32,
}

const FAILURES: &[Failure] = &[
    Failure {
        code: Some("AUTH_001"),
        status: 401,
        group: "UNAUTHORIZED",
        description: "API key not found, invalid or expired",
        weight: 25,
    },
    Failure {
        code: Some("AUTH_002"),
        status: 401,
        group: "UNAUTHORIZED",
        description: "Authorization header is missing",
        weight: 10,
    },
    Failure {
        code: Some("AUTH_003"),
        status: 401,
        group: "UNAUTHORIZED",
        description: "Token must be in Bearer <token> form",
        weight: 5,
    },
    Failure {
        code: Some("AUTH_004"),
        status: 500,
        group: "INTERNAL_ERROR",
        description: "Authentication service failed",
        weight: 5,
    },
    Failure {
        code: Some("WABA_001"),
        status: 401,
        group: "UNAUTHORIZED",
        description: "WABA credentials missing or invalid",
        weight: 10,
    },
    Failure {
        code: Some("BILL_001"),
        status: 402,
        group: "PAYMENT_REQUIRED",
        description: "Insufficient balance",
        weight: 15,
    },
    Failure {
        code: Some("BILL_002"),
        status: 400,
        group: "BAD_REQUEST",
        description: "No billing account for this key",
        weight: 5,
    },
    Failure {
        code: Some("RATE_001"),
        status: 429,
        group: "TOO_MANY_REQUESTS",
        description: "Rate limit exceeded",
        weight: 10,
    },
    Failure {
        code: Some("GW_001"),
        status: 400,
        group: "VALIDATION",
        description: "Invalid recipient",
        weight: 5,
    },
    Failure {
        code: None,
        status: 500,
        group: "INTERNAL_ERROR",
        description: "Upstream timeout",
        weight: 2,
    },
];

const ENDPOINTS: &[(&str, &str)] = &[
    ("POST", "/v1/messages"),
    ("POST", "/v1/messages"),
    ("POST", "/v1/messages"),
    ("GET", "/v1/templates"),
    ("POST", "/v1/contacts"),
    ("POST", "/v1/media"),
    ("GET", "/v1/messages/status"),
];

fn rfc3339(us: i64, frac_digits: usize, offset_min: i64) -> String {
    let local = us + offset_min * 60_000_000;
    let day = local.div_euclid(MICROS_PER_DAY);
    let rem = local.rem_euclid(MICROS_PER_DAY);
    let (y, m, d) = civil_from_days(day);
    let secs = rem / 1_000_000;
    let (h, mi, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    let mut out = format!("{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{s:02}");
    if frac_digits > 0 {
        let frac = format!("{:06}000", rem % 1_000_000);
        out.push('.');
        out.push_str(&frac[..frac_digits]);
    }
    if offset_min == 0 {
        out.push('Z');
    } else {
        let sign = if offset_min < 0 { '-' } else { '+' };
        let o = offset_min.abs();
        out.push_str(&format!("{sign}{:02}:{:02}", o / 60, o % 60));
    }
    out
}

/// The synthetic API key number `i`.
pub fn key_for(seed: u64, i: u32) -> String {
    let mut r = Rng(seed ^ (i as u64).wrapping_mul(0xA24B_AED4_963E_E407));
    format!("wk_live_{:016x}{:08x}", r.next(), r.next() as u32)
}

struct Writer<'a, W: Write> {
    out: &'a mut W,
    sum: Summary,
    codes: BTreeMap<Option<&'static str>, u64>,
    rate_by_key: BTreeMap<u32, u64>,
}

impl<W: Write> Writer<'_, W> {
    fn request(&mut self, us: i64, error: bool, codes: &[Option<&'static str>]) {
        self.sum.requests += 1;
        let day = self.sum.by_day.entry(format_day(day_of(us))).or_default();
        day.requests += 1;
        if error {
            self.sum.errors += 1;
            day.errors += 1;
            for c in codes {
                *self.codes.entry(*c).or_default() += 1;
            }
        } else {
            self.sum.successes += 1;
        }
    }
}

/// Writes `opts.lines` lines to `out` and returns what they hold.
pub fn generate<W: Write>(opts: &GenOptions, out: &mut W) -> io::Result<Summary> {
    let mut rng = Rng(opts.seed);
    let keys: Vec<String> = (0..opts.keys.max(1))
        .map(|i| key_for(opts.seed, i))
        .collect();
    let hot = (keys.len() / 100).max(1);
    let start = opts.start_day * MICROS_PER_DAY;
    let span = opts.days.max(1) as i64 * MICROS_PER_DAY;
    let step = (span / opts.lines.max(1) as i64).max(1);
    let total_weight: u32 = FAILURES.iter().map(|f| f.weight).sum();
    let mut w = Writer {
        out,
        sum: Summary::default(),
        codes: BTreeMap::new(),
        rate_by_key: BTreeMap::new(),
    };
    let mixed = opts.shape == Shape::Mixed;
    let mut line = String::with_capacity(512);
    for i in 0..opts.lines {
        line.clear();
        let us = start + i as i64 * step + rng.below(step as u64) as i64;
        w.sum.lines += 1;
        let r = rng.unit();
        if mixed && r < 0.004 {
            w.sum.blank += 1;
            line.push_str(if i % 2 == 0 { "" } else { "   \t" });
            line.push('\n');
            w.out.write_all(line.as_bytes())?;
            continue;
        }
        if mixed && r < 0.008 {
            w.sum.unrecognized += 1;
            line.push_str(&format!(
                "{{\"level\":\"info\",\"ts\":\"{}\",\"msg\":\"worker heartbeat\",\"worker\":{}}}\n",
                rfc3339(us, 3, 0),
                rng.below(8)
            ));
            w.out.write_all(line.as_bytes())?;
            continue;
        }
        // Pick the key: hot keys get their share of the traffic and are throttled often.
        let hot_key = rng.unit() < opts.hot_share;
        let ki = if hot_key {
            rng.below(hot as u64) as u32
        } else {
            let u = rng.unit();
            ((u * u) * keys.len() as f64) as u32 % keys.len() as u32
        };
        let key = &keys[ki as usize];
        let (method, path) = ENDPOINTS[rng.below(ENDPOINTS.len() as u64) as usize];
        let failure = if hot_key && rng.unit() < 0.4 {
            Some(FAILURES[7])
        } else if rng.unit() < 0.07 {
            let mut pick = rng.below(total_weight as u64) as u32;
            FAILURES.iter().copied().find(|f| {
                if pick < f.weight {
                    true
                } else {
                    pick -= f.weight;
                    false
                }
            })
        } else {
            None
        };
        let failure = failure.filter(|f| mixed || f.code.is_some());
        let shape = if mixed { rng.below(100) } else { 0 };
        let proxy = mixed && failure.is_none() && rng.unit() < 0.005;
        let array =
            mixed && failure.is_some_and(|f| f.code == Some("BILL_001")) && rng.unit() < 0.2;
        let status = match (failure, proxy) {
            (_, true) => 502,
            (Some(f), _) => f.status,
            (None, _) => {
                if method == "POST" {
                    201
                } else {
                    200
                }
            }
        };
        let no_key = failure.is_some_and(|f| matches!(f.code, Some("AUTH_002" | "AUTH_003")));
        let escape = shape >= 90;
        let errors_json = failure.map(|f| {
            let code = match f.code {
                Some(c) if escape => format!("\"code\":\"{}\",", c.replace('_', "\\u005f")),
                Some(c) => format!("\"code\":\"{c}\","),
                None => String::new(),
            };
            let params = if f.code == Some("RATE_001") {
                let (lt, ra) = if rng.unit() < 0.8 { ("sec", "1 seconds") } else { ("min", "60 seconds") };
                format!(",\"params\":{{\"limit_type\":\"{lt}\",\"retry_after\":\"{ra}\"}}")
            } else {
                String::new()
            };
            let one = format!(
                "{{{code}\"group\":\"{}\",\"description\":\"{}\"{params}}}",
                f.group, f.description
            );
            if array {
                format!("[{one},{{\"code\":\"WABA_001\",\"group\":\"UNAUTHORIZED\",\"description\":\"WABA credentials missing or invalid\"}}]")
            } else {
                one
            }
        });
        let envelope = match &errors_json {
            Some(e) => format!("{{\"isSuccess\":false,\"errors\":{e}}}"),
            None => format!(
                "{{\"isSuccess\":true,\"data\":{{\"messageId\":\"wamid.{:012x}\"}}}}",
                rng.next() >> 16
            ),
        };
        let latency = 5 + rng.below(400);
        let key_json = if no_key {
            "null".to_owned()
        } else {
            format!("\"{key}\"")
        };
        if shape < 40 || proxy {
            let response = if proxy {
                "\"<html><body><h1>502 Bad Gateway</h1></body></html>\"".to_owned()
            } else {
                envelope
            };
            line.push_str(&format!(
                "{{\"ts\":\"{}\",\"method\":\"{method}\",\"path\":\"{path}\",\"status\":{status},\"latency_ms\":{latency},\"api_key\":{key_json},\"response\":{response}}}\n",
                rfc3339(us, 3, 0)
            ));
        } else if shape < 60 {
            let auth = match failure.and_then(|f| f.code) {
                Some("AUTH_002") => String::new(),
                Some("AUTH_003") => format!(",\"headers\":{{\"authorization\":\"Token {key}\"}}"),
                _ => format!(
                    ",\"headers\":{{\"user-agent\":\"wa-client/2.1\",\"authorization\":\"Bearer {key}\"}}"
                ),
            };
            let body = &envelope[1..envelope.len() - 1];
            line.push_str(&format!(
                "{} {{\"level\":\"info\",\"method\":\"{method}\",\"route\":\"{path}\",\"status_code\":\"{status}\"{auth},{body}}}\n",
                rfc3339(us, 9, 0)
            ));
        } else if shape < 75 {
            let quoted = serde_json::to_string(&envelope).unwrap_or_default();
            line.push_str(&format!(
                "{{\"timestamp\":{},\"statusCode\":{status},\"method\":\"{method}\",\"url\":\"https://api.example.com{path}?trace={:x}\",\"apiKey\":{key_json},\"body\":{quoted}}}\n",
                us / 1000,
                rng.below(1 << 20)
            ));
        } else if shape < 90 {
            let pretty = envelope.replace(":", " : ").replace(",\"", ", \"");
            line.push_str(&format!(
                "{{ \"response_body\" : {pretty}, \"http_status\" : {status}, \"endpoint\" : \"{path}\", \"method\" : \"{method}\", \"key_id\" : {key_json}, \"time\" : \"{}\" }}\n",
                rfc3339(us, 6, 180)
            ));
        } else {
            line.push_str(&format!(
                "{{\"@timestamp\":\"{}\",\"status\":{status},\"method\":\"{method}\",\"path\":\"{path}\",\"client_id\":{key_json},\"resp\":{envelope}}}\r\n",
                rfc3339(us, 0, 0)
            ));
        }
        // Some request lines are cut short, as a crashing writer leaves them: malformed.
        if mixed && rng.unit() < 0.003 {
            let cut = line.len() / 2;
            line.truncate(cut);
            while !line.is_char_boundary(line.len()) {
                line.pop();
            }
            line.push('\n');
            w.sum.malformed += 1;
            w.out.write_all(line.as_bytes())?;
            continue;
        }
        w.out.write_all(line.as_bytes())?;
        let error = failure.is_some() || proxy;
        let codes: Vec<Option<&'static str>> = match failure {
            Some(f) if array => vec![f.code, Some("WABA_001")],
            Some(f) => vec![f.code],
            None if proxy => vec![None],
            None => vec![],
        };
        if ki < hot as u32 && failure.is_some_and(|f| f.code == Some("RATE_001")) {
            *w.rate_by_key.entry(ki).or_default() += 1;
        }
        w.request(us, error, &codes);
    }
    w.out.flush()?;
    let mut sum = w.sum;
    sum.by_code = w
        .codes
        .into_iter()
        .map(|(code, count)| CodeCount {
            code: code.map(str::to_owned),
            count,
        })
        .collect();
    sum.throttled_keys = w
        .rate_by_key
        .into_iter()
        .map(|(ki, n)| ThrottledKey {
            key_fingerprint: secret::fingerprint(&keys[ki as usize]),
            rate_limited: n,
        })
        .collect();
    Ok(sum)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_formats_offsets() {
        assert_eq!(rfc3339(0, 3, 0), "1970-01-01T00:00:00.000Z");
        assert_eq!(
            rfc3339(1_500_000, 6, 180),
            "1970-01-01T03:00:01.500000+03:00"
        );
    }

    #[test]
    fn same_seed_same_bytes() {
        let opts = GenOptions {
            lines: 500,
            days: 2,
            keys: 20,
            seed: 7,
            start_day: 20_000,
            shape: Shape::Mixed,
            hot_share: 0.2,
        };
        let (mut a, mut b) = (Vec::new(), Vec::new());
        let sa = generate(&opts, &mut a).unwrap();
        let sb = generate(&opts, &mut b).unwrap();
        assert_eq!(a, b);
        assert_eq!(sa, sb);
        assert_eq!(sa.lines, 500);
        assert_eq!(a.iter().filter(|&&c| c == b'\n').count(), 500);
    }
}
