"""DuckDB's version of the report: read_ndjson with typed columns, then the four aggregates."""
import json
import sys

import duckdb

path = sys.argv[1]
con = duckdb.connect()
con.execute(f"SET threads TO {sys.argv[2] if len(sys.argv) > 2 else 2}")
con.execute(
    """
    CREATE TEMP TABLE r AS
    SELECT substr(ts, 1, 10) AS day, api_key,
           NOT response.isSuccess AS err, response.errors.code AS code
    FROM read_ndjson(?, columns = {
        ts: 'VARCHAR', status: 'INTEGER', api_key: 'VARCHAR',
        response: 'STRUCT(isSuccess BOOLEAN, errors STRUCT(code VARCHAR))'})
    """,
    [path],
)
out = {"requests": con.execute("SELECT count(*) FROM r").fetchone()[0]}
out["by_code"] = dict(con.execute("SELECT code, count(*) FROM r WHERE err GROUP BY code").fetchall())
out["by_key"] = {
    k: [q, e, rl]
    for k, q, e, rl in con.execute(
        "SELECT api_key, count(*), count(*) FILTER (err), count(*) FILTER (code = 'RATE_001' AND err)"
        " FROM r GROUP BY api_key"
    ).fetchall()
}
out["by_day"] = {
    d: [q, e] for d, q, e in con.execute("SELECT day, count(*), count(*) FILTER (err) FROM r GROUP BY day").fetchall()
}
json.dump(out, sys.stdout)
