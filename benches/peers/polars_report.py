"""polars' version of the report: scan_ndjson with a schema, streaming collect."""
import json
import sys

import polars as pl

path = sys.argv[1]
schema = {
    "ts": pl.String,
    "status": pl.Int64,
    "api_key": pl.String,
    "response": pl.Struct({"isSuccess": pl.Boolean, "errors": pl.Struct({"code": pl.String})}),
}
lf = pl.scan_ndjson(path, schema=schema).select(
    pl.col("ts").str.slice(0, 10).alias("day"),
    pl.col("api_key"),
    (~pl.col("response").struct.field("isSuccess")).alias("err"),
    pl.col("response").struct.field("errors").struct.field("code").alias("code"),
)
df = lf.collect(engine="streaming")
out = {"requests": df.height}
codes = df.filter(pl.col("err")).group_by("code").len()
out["by_code"] = {c: n for c, n in codes.iter_rows()}
keys = df.group_by("api_key").agg(
    pl.len().alias("q"),
    pl.col("err").sum().alias("e"),
    ((pl.col("code") == "RATE_001") & pl.col("err")).sum().alias("rl"),
)
out["by_key"] = {k: [q, e, rl] for k, q, e, rl in keys.iter_rows()}
days = df.group_by("day").agg(pl.len().alias("q"), pl.col("err").sum().alias("e"))
out["by_day"] = {d: [q, e] for d, q, e in days.iter_rows()}
json.dump(out, sys.stdout)
