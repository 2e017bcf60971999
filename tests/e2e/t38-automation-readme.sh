#!/bin/sh
# The README's "Automation" section is what examples/automation.sh
# prints with this crq (commit ids aside, which differ from run to run).
. "$(dirname "$0")/lib.sh"

mask() { sed -E 's/[0-9a-f]{10,40}/HEX/g'; }
sh "$TOP/examples/automation.sh" "$CRQ" >"$TMP/auto.out" 2>"$TMP/auto.err"
same "examples/automation.sh runs" "$?:$(cat "$TMP/auto.err")" "0:"
sed -n '/^<!-- automation.sh output begins -->$/,/^<!-- automation.sh output ends -->$/p' \
	"$TOP/README.md" | sed '1d;$d' >"$TMP/readme.out"
[ -s "$TMP/readme.out" ] && ok "the README has the section" || not_ok "no automation.sh block in README.md"
if [ "$(mask <"$TMP/auto.out")" = "$(mask <"$TMP/readme.out")" ]; then
	ok "the README shows automation.sh's real output"
else
	not_ok "README differs from examples/automation.sh:"
	diff "$TMP/readme.out" "$TMP/auto.out" | mask | sed 's/^/#   /' | head -40
fi
for want in "Crq-Rules: high-risk-security" "go: CHG-000001" \
	"escalated CHG-000001: rule late-implementation" \
	"escalation late-implementation CHG-000001: escalated to director" \
	"commit checked, 0 violations"; do
	grep -qF "$want" "$TMP/auto.out" && ok "it shows: $want" || not_ok "missing: $want"
done
done_testing
