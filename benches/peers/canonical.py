"""Turns errlens's JSON report (read with --show-keys) into the peers' shape, and compares."""
import json
import sys


def from_errlens(doc):
    return {
        "requests": doc["totals"]["requests"],
        "by_code": {("null" if r["code"] is None else r["code"]): r["count"] for r in doc["by_code"]},
        "by_key": {
            ("null" if r["key"] is None else r["key"]): [r["requests"], r["errors"], r["rate_limited"]]
            for r in doc["by_key"]
        },
        "by_day": {r["day"]: [r["requests"], r["errors"]] for r in doc["by_day"]},
    }


def norm(doc):
    if "totals" in doc:
        return from_errlens(doc)
    return {
        "requests": doc["requests"],
        "by_code": {("null" if k in (None, "None") else k): v for k, v in doc["by_code"].items()},
        "by_key": {("null" if k in (None, "None") else k): list(v) for k, v in doc["by_key"].items()},
        "by_day": dict(doc["by_day"]),
    }


if __name__ == "__main__":
    want = from_errlens(json.load(open(sys.argv[1])))
    for path in sys.argv[2:]:
        got = norm(json.load(open(path)))
        for part in ("requests", "by_code", "by_key", "by_day"):
            if got[part] != want[part]:
                print(f"MISMATCH {path}: {part}", file=sys.stderr)
                sys.exit(1)
    print("all peers agree with errlens")
