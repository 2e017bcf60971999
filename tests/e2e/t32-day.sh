#!/bin/sh
# The README's "A change manager's day" is what examples/day.sh prints
# with this crq (commit ids aside, which differ from run to run).
. "$(dirname "$0")/lib.sh"

mask() { sed -E 's/[0-9a-f]{10,40}/HEX/g'; }
sh "$TOP/examples/day.sh" "$CRQ" >"$TMP/day.out" 2>"$TMP/day.err"
same "examples/day.sh runs" "$?:$(cat "$TMP/day.err")" "0:"
sed -n '/^<!-- day.sh output begins -->$/,/^<!-- day.sh output ends -->$/p' \
	"$TOP/README.md" | sed '1,2d;$d' | sed '$d' >"$TMP/readme.out"
[ -s "$TMP/readme.out" ] && ok "the README has the section" || not_ok "no day.sh block in README.md"
if [ "$(mask <"$TMP/day.out")" = "$(mask <"$TMP/readme.out")" ]; then
	ok "the README shows day.sh's real output"
else
	not_ok "README differs from examples/day.sh:"
	diff "$TMP/readme.out" "$TMP/day.out" | mask | sed 's/^/#   /' | head -40
fi
grep -Eq '^[0-9]+ commits checked, 0 violations$' "$TMP/day.out" &&
	ok "the day's store verifies" || not_ok "verify: $(tail -3 "$TMP/day.out")"
done_testing
