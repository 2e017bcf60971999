#!/bin/sh
# Run every test: cmocka unit tests, the JSON-Schema-Test-Suite, the
# python3-jsonschema cross-check and the end-to-end shell tests.
# usage: tests/run.sh BUILD_DIR SUITE_DIR
build=${1:-build}
suite=${2:-/usr/share/json-schema-test-suite/tests/draft7}
top=$(cd "$(dirname "$0")/.." && pwd)
case $build in /*) ;; *) build=$top/$build ;; esac
failed=0
pass=0

run() {
	name=$1
	shift
	if "$@" >"$build/tests/$name.log" 2>&1; then
		pass=$((pass + 1))
		echo "PASS $name"
	else
		failed=$((failed + 1))
		echo "FAIL $name (log: $build/tests/$name.log)"
		tail -n 30 "$build/tests/$name.log" | sed 's/^/    /'
	fi
}

# unit tests find schemas/ and examples/ here
export CRQ_DATADIR="$top"
for t in "$build"/tests/test_*; do
	[ -x "$t" ] || continue
	run "$(basename "$t")" "$t"
done
run schema-suite "$build/tests/schema-suite" "$suite"
for t in "$build"/tests/replay_*; do
	n=${t##*/replay_}
	run "fuzz-corpus-$n" "$t" "$top/tests/fuzz/corpus/$n"
done
# random legal sessions must verify; every mutant of them is refused
run model-history python3 "$top/tests/history/model.py" "$build/crq" \
	"${MODEL_SEEDS:-3}" "${MODEL_MUTANTS:-70}"
for t in "$top"/tests/e2e/t*.sh; do
	run "e2e-$(basename "$t" .sh)" env CRQ="$build/crq" \
		sh "$t"
done
echo "$pass passed, $failed failed"
[ "$failed" = 0 ]
