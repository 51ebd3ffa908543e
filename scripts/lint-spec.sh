#!/usr/bin/env bash
# The committed OpenAPI document as client tools read it: Redocly CLI's recommended rules with zero
# errors, and a TypeScript client (openapi-typescript) with one distinct method per operation.
# The tools are pinned and installed from the npm registry under target/spec-tools.
set -euo pipefail
cd "$(dirname "$0")/.."
spec=api-spec/openapi.json
tools=target/spec-tools
if [ ! -x "$tools/node_modules/.bin/redocly" ] || [ ! -x "$tools/node_modules/.bin/openapi-typescript" ]; then
  mkdir -p "$tools"
  npm install --prefix "$tools" --no-audit --no-fund --silent \
    @redocly/cli@2.77.0 openapi-typescript@7.13.0 >/dev/null
fi
echo "-- redocly lint (recommended rules)"
"$tools/node_modules/.bin/redocly" lint "$spec" --format=summary 2>&1 | grep -vE "^\s*(║|╔|╚)" | grep -v "^$"
echo "-- openapi-typescript: one method per operation"
"$tools/node_modules/.bin/openapi-typescript" "$spec" -o "$tools/wufei.d.ts" >/dev/null
python3 - "$spec" "$tools/wufei.d.ts" <<'PY'
import json, re, sys
spec = json.load(open(sys.argv[1]))
ops = [o["operationId"] for item in spec["paths"].values()
       for m, o in item.items() if m in ("get", "put", "post", "patch", "delete")]
ts = open(sys.argv[2]).read()
methods = re.findall(r"^    (\w+): \{", ts[ts.index("export interface operations"):], re.M)
assert len(ops) == len(set(ops)), "operationIds repeat"
assert sorted(methods) == sorted(ops), (sorted(set(ops) ^ set(methods)))
print(f"{len(methods)} operations, {len(set(methods))} distinct client methods")
PY
