#!/bin/sh
# The README's "For auditors" and "Reports" sections are what
# examples/evidence.sh prints with this crq (keys, fingerprints and
# commit ids aside, which differ from run to run), and the screenshots
# they show are of the files it writes, taken in headless Chromium
# (tests/html-check.py: strict parse, offline, the counts in the DOM, not
# blank).  CRQ_SCREENSHOTS=DIR (make screenshots: doc/img) keeps them.
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
shots=${CRQ_SCREENSHOTS:-$TMP}
case $shots in /*) ;; *) shots=$(pwd)/$shots ;; esac
mkdir -p "$shots"
# 8 changes of 6 controls; 5 windows (one across midnight: 6 calendar
# days); the year-end freeze over 9 December days
for f in report:4400 audit:2600; do
	n=${f%%:*} h=${f#*:}
	if "$PY" "$TOP/tests/html-check.py" "$TMP/ev/$n.html" --changes 8 \
		--controls 48 --charts-min 9 --gantt-bars 5 --cal-windows 6 \
		--cal-freezes-min 9 --refused 0 --screenshot "$shots/$n.png" \
		--window-size "1280,$h" >"$TMP/hc.out" 2>&1; then
		ok "$n.html in Chromium: $(tr '\n' ';' <"$TMP/hc.out" | cut -c1-150)"
	else
		not_ok "$n.html:"
		sed 's/^/#   /' "$TMP/hc.out"
	fi
done
done_testing
