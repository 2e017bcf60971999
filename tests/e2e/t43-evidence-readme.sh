#!/bin/sh
# The README's "For auditors" and "Reports" sections are what
# examples/evidence.sh prints with this crq (keys, fingerprints and
# commit ids aside, which differ from run to run), and the screenshots
# they show are of the files it writes, taken in headless Chromium.
. "$(dirname "$0")/lib.sh"

mask() { sed -E 's/SHA256:[A-Za-z0-9+\/]{43}/SHA256:KEY/g; s/[0-9a-f]{7,40}/HEX/g'; }
sh "$TOP/examples/evidence.sh" "$CRQ" "$TMP/ev" >"$TMP/ev.out" 2>"$TMP/ev.err"
same "examples/evidence.sh runs" "$?:$(cat "$TMP/ev.err")" "0:"
sed -n '1,/^<!-- report -->$/p' "$TMP/ev.out" | sed '$d' >"$TMP/audit.out"
sed -n '/^<!-- report -->$/,$p' "$TMP/ev.out" | sed '1d' >"$TMP/report.out"
for part in audit report; do
	sed -n "/^<!-- evidence.sh $part output begins -->\$/,/^<!-- evidence.sh $part output ends -->\$/p" \
		"$TOP/README.md" | sed '1d;$d' >"$TMP/readme.$part"
	[ -s "$TMP/readme.$part" ] && ok "the README has the $part block" || not_ok "no evidence.sh $part block in README.md"
	if [ "$(mask <"$TMP/$part.out")" = "$(mask <"$TMP/readme.$part")" ]; then
		ok "the README shows evidence.sh's real $part output"
	else
		not_ok "README differs from examples/evidence.sh ($part):"
		diff "$TMP/readme.$part" "$TMP/$part.out" | mask | sed 's/^/#   /' | head -40
	fi
done
for want in 'Good "crq-audit" signature for alice@example.com' \
	"fail         plans" "dave@example.com cab until 2026-12-15" \
	"change failure rate" "crq verify: clean"; do
	grep -qF "$want" "$TMP/ev.out" && ok "it shows: $want" || not_ok "missing: $want"
done
for f in report audit; do
	[ -s "$TMP/ev/$f.html" ] && ok "evidence.sh wrote $f.html" || not_ok "no $f.html"
done
done_testing
