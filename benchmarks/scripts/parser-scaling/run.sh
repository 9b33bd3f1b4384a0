#!/usr/bin/env bash
# Parser scaling probe (session 38; benchmarks/README.md, "Hostile input"): generates hostile messages at N, 2N, 4N
# and 8N bytes (gen.py), scans each with every embedded scanner and the auth scanner in one JVM (Harness.java) and
# prints per construct and scanner the times and the 8x/1x ratio (summ.py: about 8 is linear; a single run on a
# shared machine spreads 2-5x). Usage: run.sh [BASE (default 250000)] [NAME,NAME... (default all)]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
jar="$root/hygiene-examples/target/hygiene.jar"
[[ -f "$jar" ]] || { echo "build first: mvn -B -q -o package -DskipTests" >&2; exit 2; }
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
python3 "$here/gen.py" "$out/in" "${1:-250000}" ${2:-}
javac -cp "$jar" -d "$out/classes" "$here/Harness.java"
java -Xmx1g -Dreps="${REPS:-2}" -cp "$jar:$out/classes" Harness $(ls "$out"/in/*.eml | sort -V) > "$out/raw.txt"
python3 "$here/summ.py" "$out/raw.txt"
