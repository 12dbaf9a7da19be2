#!/usr/bin/env bash
# Runs slogstack's side-by-side benchmarks and writes docs/benchmarks.md.
#
#   bash benchmarks/run.sh
#
# Environment (defaults in brackets):
#   ROUNDS      rounds; each runs every benchmark once, interleaved [6]
#   BENCHTIME   -test.benchtime of each benchmark in each round [300ms]
#   PROFILE_TIME -test.benchtime of the CPU profile run of each stack row [1s]
#   BENCH       -test.bench pattern [.]
#   STALL_FLAGS extra flags for cmd/stall (see its doc) []
#   NOTE        a caveat printed at the top of the page (for example that
#               the machine was busy) []
#
# Steps: install benchstat if missing; vet and test the module (every
# target must write the same payload); compile the test binary once; run
# the rounds into results/bench.txt; benchstat them into
# results/benchstat.txt; run each stack row once more, serially, with
# -cpuprofile and keep the top of `go tool pprof -top` in
# results/profiles/<row>.txt; run cmd/stall into results/stall.md; render
# docs/benchmarks.md with cmd/benchmd. results/ is not committed.
# With the defaults it takes about 11 minutes on a quiet 2-core machine
# (about 150 benchmarks per round; BENCHTIME is 300ms to keep it there).
set -euo pipefail

cd "$(dirname "$0")"
# The module is measured as its go.mod describes it (the library through
# its replace directive), whatever workspace file may sit above it.
export GOWORK=off
ROUNDS=${ROUNDS:-6}
BENCHTIME=${BENCHTIME:-300ms}
PROFILE_TIME=${PROFILE_TIME:-1s}
# The rows of BenchmarkStack (stack_test.go's stackRows; a test checks the
# two lists agree).
PROFILE_ROWS="floor slogstack-json slog-disabled scope-only stack-sampled stack-sampled-deepctx stack-sampled-asyncwriter stack-unsampled-nobuf stack-unsampled-nobuf-deepctx stack-unsampled-buf stack-unsampled-buf-deepctx stack-debug"
BENCH=${BENCH:-.}
STALL_FLAGS=${STALL_FLAGS:-}
results=results
start=$(date +%s)
load_start=$(cat /proc/loadavg 2>/dev/null || true)

benchstat=$(command -v benchstat || true)
if [[ -z $benchstat ]]; then
	benchstat="$(go env GOPATH)/bin/benchstat"
	if [[ ! -x $benchstat ]]; then
		echo "installing benchstat" >&2
		go install golang.org/x/perf/cmd/benchstat@latest
	fi
fi

mkdir -p "$results"
go vet ./...
go test ./...
go test -c -o "$results/benchmarks.test" .

: >"$results/bench.txt"
for round in $(seq 1 "$ROUNDS"); do
	echo "round $round of $ROUNDS ($(($(date +%s) - start))s elapsed)" >&2
	"$results/benchmarks.test" -test.run '^$' -test.bench "$BENCH" -test.benchmem \
		-test.count 1 -test.benchtime "$BENCHTIME" -test.timeout 0 >>"$results/bench.txt"
done
"$benchstat" "$results/bench.txt" >"$results/benchstat.txt"

echo "CPU profiles ($(($(date +%s) - start))s elapsed)" >&2
mkdir -p "$results/profiles"
for row in $PROFILE_ROWS; do
	"$results/benchmarks.test" -test.run '^$' -test.bench "^BenchmarkStack\$/^$row\$/^serial\$" \
		-test.benchtime "$PROFILE_TIME" -test.cpuprofile "$results/profiles/$row.prof" >/dev/null
	go tool pprof -top -nodecount 12 "$results/benchmarks.test" "$results/profiles/$row.prof" \
		>"$results/profiles/$row.txt" 2>/dev/null
done

echo "cmd/stall ($(($(date +%s) - start))s elapsed)" >&2
# shellcheck disable=SC2086 # STALL_FLAGS is a list of flags
go run ./cmd/stall -out "$results/stall.md" $STALL_FLAGS

command="ROUNDS=$ROUNDS BENCHTIME=$BENCHTIME PROFILE_TIME=$PROFILE_TIME BENCH='$BENCH'"
[[ -n $STALL_FLAGS ]] && command+=" STALL_FLAGS='$STALL_FLAGS'"
command+=" bash benchmarks/run.sh"
go run ./cmd/benchmd -bench "$results/bench.txt" -benchstat "$results/benchstat.txt" \
	-stall "$results/stall.md" -profiles "$results/profiles" -command "$command" -gomod go.mod -note "${NOTE:-}" -load-start "$load_start" -started "$start" \
	-o ../docs/benchmarks.md
echo "wrote docs/benchmarks.md in $(($(date +%s) - start))s" >&2
