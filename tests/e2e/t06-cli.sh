#!/bin/sh
# The command line itself: help, version, unknown commands, exit codes.
. "$(dirname "$0")/lib.sh"

cd "$TMP"
expect 0 "" "$CRQ" --version
same "--version" "$(cat "$TMP/out")" "crq version $(sed -n 's/^#define CRQ_VERSION "\(.*\)"/\1/p' "$TOP/include/crq/error.h")"
expect 0 "" "$CRQ" --help
for c in init new show list edit set validate schema help; do
	grep -q "^  $c " "$TMP/out" && ok "help lists $c" || not_ok "help lists $c"
done
grep -q "129  usage error" "$TMP/out" && ok "help documents exit codes" || not_ok "exit codes"
expect 0 "" "$CRQ" help new
cp "$TMP/out" "$TMP/help1"
expect 0 "" "$CRQ" new -h
same "crq help CMD and crq CMD -h print the same" "$(cat "$TMP/out")" "$(cat "$TMP/help1")"
expect 0 "" "$CRQ" list --help
grep -q -- "--format FMT" "$TMP/out" && ok "list help documents --format" || not_ok "list help"
expect 129 "'lsit' is not a crq command" "$CRQ" lsit
grep -q "did you mean 'list'" "$TMP/err" && ok "suggests the nearest command" || not_ok "suggestion"
expect 129 "'frobnicate' is not a crq command" "$CRQ" frobnicate
grep -q "did you mean" "$TMP/err" && not_ok "no suggestion for distant names" || ok "no suggestion for distant names"
expect 129 "usage: crq" "$CRQ"
expect 129 "unknown option '--bogus'" "$CRQ" --bogus
expect 129 "option '-C' needs a value" "$CRQ" -C
expect 129 "'-c novalue' is not NAME=VALUE" "$CRQ" -c novalue list
expect 129 "unknown command 'nope'" "$CRQ" help nope
expect 128 "cannot open '/nonexistent/schemas/change.schema.json'" env CRQ_DATADIR=/nonexistent "$CRQ" schema change
# a copy of the binary finds its data through CRQ_DATADIR
cp "$CRQ" "$TMP/crq-copy"
expect 128 "cannot find crq's schemas" "$TMP/crq-copy" schema change
expect 0 "" env CRQ_DATADIR="$TOP" "$TMP/crq-copy" schema change
done_testing
