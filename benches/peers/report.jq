# jq's version of the report, one pass over the lines: jq -n -f report.jq FILE
reduce inputs as $r ({requests: 0, by_code: {}, by_key: {}, by_day: {}};
  ($r.response.isSuccess | not) as $err
  | ($r.response.errors.code // "null") as $code
  | ($r.api_key // "null") as $key
  | ($r.ts[0:10]) as $day
  | .requests += 1
  | (if $err then .by_code[$code] += 1 else . end)
  | .by_key[$key] |= ((. // [0, 0, 0])
      | .[0] += 1
      | .[1] += (if $err then 1 else 0 end)
      | .[2] += (if $err and $code == "RATE_001" then 1 else 0 end))
  | .by_day[$day] |= ((. // [0, 0]) | .[0] += 1 | .[1] += (if $err then 1 else 0 end)))
