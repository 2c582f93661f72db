//! Criterion benches of the pipeline's stages, in bytes per second: line splitting, line
//! classification per record shape (success path vs error path), aggregation and merging,
//! and the whole run on an in-memory `errlens gen` buffer.

use std::hint::black_box;
use std::sync::Arc;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use errlens::agg::driver::{self, Options};
use errlens::agg::{Aggregate, Merge};
use errlens::extract::{Extractor, FieldMap, Line};
use errlens::filter::Filter;
use errlens::input::Source;
use errlens::scan;
use errlens::synth::{GenOptions, Shape, generate};

fn synthetic(lines: u64, shape: Shape) -> Vec<u8> {
    let opts = GenOptions {
        lines,
        days: 7,
        keys: 2000,
        seed: 1,
        start_day: 20_400,
        shape,
        hot_share: 0.2,
    };
    let mut out = Vec::new();
    generate(&opts, &mut out).unwrap();
    out
}

fn extractor() -> Extractor {
    Extractor::new(&FieldMap::default(), 16 << 20).unwrap()
}

/// One line of each shape, as success and as error.
const SHAPES: &[(&str, &str)] = &[
    (
        "nested_success",
        r#"{"ts":"2026-11-24T10:00:00.123Z","method":"POST","path":"/v1/messages","status":201,"latency_ms":42,"api_key":"wk_live_0123456789abcdef01234567","response":{"isSuccess":true,"data":{"messageId":"wamid.0123456789ab"}}}"#,
    ),
    (
        "nested_error",
        r#"{"ts":"2026-11-24T10:00:00.123Z","method":"POST","path":"/v1/messages","status":429,"latency_ms":42,"api_key":"wk_live_0123456789abcdef01234567","response":{"isSuccess":false,"errors":{"code":"RATE_001","group":"TOO_MANY_REQUESTS","description":"Rate limit exceeded","params":{"limit_type":"sec","retry_after":"1 seconds"}}}}"#,
    ),
    (
        "kubectl_prefix_error",
        r#"2026-11-24T10:00:00.123456789Z {"level":"info","method":"POST","route":"/v1/messages","status_code":"401","headers":{"user-agent":"wa-client/2.1","authorization":"Bearer wk_live_0123456789abcdef01234567"},"isSuccess":false,"errors":{"code":"AUTH_001","group":"UNAUTHORIZED","description":"API key not found"}}"#,
    ),
    (
        "string_body_error",
        r#"{"timestamp":1795597200000,"statusCode":402,"method":"GET","url":"https://api.example.com/v1/templates?trace=1","apiKey":"wk_live_0123456789abcdef01234567","body":"{\"isSuccess\":false,\"errors\":{\"code\":\"BILL_001\",\"group\":\"PAYMENT_REQUIRED\"}}"}"#,
    ),
    (
        "proxy_502",
        r#"{"@timestamp":"2026-11-24T10:00:00Z","status":502,"method":"POST","path":"/v1/messages","client_id":"wk_live_0123456789abcdef01234567","resp":"<html><body>502 Bad Gateway</body></html>"}"#,
    ),
    (
        "unrecognized",
        r#"{"level":"info","ts":"2026-11-24T10:00:00.123Z","msg":"worker heartbeat","worker":3}"#,
    ),
];

fn lines(c: &mut Criterion) {
    let data = synthetic(200_000, Shape::Mixed);
    let mut g = c.benchmark_group("scan");
    g.throughput(Throughput::Bytes(data.len() as u64));
    g.bench_function("split_lines", |b| {
        b.iter(|| scan::lines(black_box(&data)).count())
    });
    g.finish();
}

fn classify(c: &mut Criterion) {
    let ex = extractor();
    let mut g = c.benchmark_group("classify");
    for (name, line) in SHAPES {
        // A block of the same line, so per-iteration overhead does not dominate.
        let block: Vec<&[u8]> = std::iter::repeat_n(line.as_bytes(), 1000).collect();
        g.throughput(Throughput::Bytes((line.len() * block.len()) as u64));
        g.bench_function(*name, |b| {
            b.iter(|| {
                block
                    .iter()
                    .filter(|l| matches!(ex.classify(black_box(l)), Line::Request(_)))
                    .count()
            })
        });
    }
    g.finish();
}

fn aggregate(c: &mut Criterion) {
    let ex = extractor();
    let data = synthetic(100_000, Shape::Mixed);
    let mut g = c.benchmark_group("aggregate");
    g.throughput(Throughput::Bytes(data.len() as u64));
    let fill = |part: &[u8]| {
        let mut agg = Aggregate::default();
        for l in scan::lines(part) {
            if let Line::Request(r) = ex.classify(l) {
                agg.add_request(&r);
            }
        }
        agg
    };
    g.bench_function("classify_and_add", |b| b.iter(|| fill(black_box(&data))));
    let half = data.len() / 2;
    let cut = data[half..].iter().position(|&b| b == b'\n').unwrap() + half + 1;
    let (a, bb) = (fill(&data[..cut]), fill(&data[cut..]));
    g.bench_function("merge_two_halves", |b| {
        b.iter(|| {
            let mut x = a.clone();
            x.merge(black_box(bb.clone()));
            x
        })
    });
    g.finish();
}

fn end_to_end(c: &mut Criterion) {
    let ex = extractor();
    let mut g = c.benchmark_group("end_to_end");
    g.sample_size(10);
    for (name, shape) in [("mixed", Shape::Mixed), ("nested", Shape::Nested)] {
        let data: Arc<[u8]> = synthetic(400_000, shape).into();
        g.throughput(Throughput::Bytes(data.len() as u64));
        for threads in [1, 2] {
            let sources = vec![Source::Bytes("gen".into(), Arc::clone(&data))];
            let opts = Options {
                threads,
                ..Options::default()
            };
            g.bench_function(format!("{name}_threads_{threads}"), |b| {
                b.iter(|| driver::run(&sources, &ex, &Filter::default(), &opts).unwrap())
            });
        }
    }
    g.finish();
}

criterion_group!(benches, lines, classify, aggregate, end_to_end);
criterion_main!(benches);
