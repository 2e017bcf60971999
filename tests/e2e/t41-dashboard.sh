#!/bin/sh
# The HTML files of crq report and crq audit, in a real browser.  A
# small store on fixed dates: four changes (one through to close with a
# task, an emergency change with a hostile title, one scheduled across
# midnight in December with a task due, a standard change), the
# policy's year-end freeze; a branch with a commit signed by a stranger.
# Both files go through tests/html-check.py: html5lib in strict mode,
# no script and no URL, accessible markup, headless Chromium offline
# with its net log proving the page requested nothing, the change
# sections, controls, charts, Gantt bars and calendar entries counted
# in Chromium's DOM, a screenshot that is not blank.  And the checker's
# own negative cases: an external image and a stylesheet url() show up
# in the net log, a parse error and a blank page fail.
# (The README's screenshots are of examples/evidence.sh's files: t43.)
. "$(dirname "$0")/lib.sh"

HC="$TOP/tests/html-check.py"
if ! command -v chromium >/dev/null 2>&1 || ! "$PY" -c 'import html5lib' 2>/dev/null; then
	not_ok "chromium or python3-html5lib missing: make test-deps installs them"
	done_testing
fi
at() { export GIT_COMMITTER_DATE="$1" GIT_AUTHOR_DATE="$1"; }
plans="--set implementation_plan=p --set backout_plan=b --set test_plan=t"
shots=$TMP
# htmlcheck "description" FILE ARGS...: html-check.py must pass
htmlcheck() {
	d=$1
	shift
	if "$PY" "$HC" "$@" >"$TMP/hc.out" 2>&1; then
		ok "$d"
	else
		not_ok "$d"
	fi
	sed 's/^/#   /' "$TMP/hc.out"
}
# htmlfails "description" "expected line" FILE: html-check.py must fail
# with that line
htmlfails() {
	"$PY" "$HC" "$3" >"$TMP/hc.out" 2>&1
	rc=$?
	if [ $rc = 1 ] && grep -qF -- "$2" "$TMP/hc.out"; then
		ok "$1"
	else
		not_ok "$1: exit $rc, wanted 1 and '$2'"
		sed 's/^/#   /' "$TMP/hc.out"
	fi
}

at 2026-11-02T08:00:00Z
cd "$TMP"
"$CRQ" init s >/dev/null
cd s
as alice member add bob@example.com --key "$(keyfor bob).pub" --name Bob \
	--role change-manager --role cab --role implementer --role reviewer >/dev/null
as alice member add carol@example.com --key "$(keyfor carol).pub" --name Carol \
	--role cab >/dev/null
as alice member add erin@example.com --key "$(keyfor erin).pub" --name Erin \
	--role ecab --role implementer >/dev/null

# CHG-000001: low risk, a task, a window on Nov 5, through to close
at 2026-11-02T09:00:00Z
as alice new --title "Upgrade the API gateway" --service api --impact low \
	--urgency low $plans >/dev/null
as alice submit CHG-000001 >/dev/null
at 2026-11-02T10:00:00Z
as bob assess CHG-000001 --risk low >/dev/null
as alice task add CHG-000001 --title "Drain the canary pool" \
	--owner bob@example.com --due 2026-11-04T17:00:00Z >/dev/null
at 2026-11-02T13:00:00Z
as bob approve CHG-000001 >/dev/null
as bob schedule CHG-000001 --start 2026-11-05T01:00:00Z \
	--end 2026-11-05T03:00:00Z --implementer bob@example.com >/dev/null
at 2026-11-04T16:00:00Z
as bob task done CHG-000001 1 >/dev/null
at 2026-11-05T01:05:00Z
as bob start CHG-000001 >/dev/null
at 2026-11-05T02:30:00Z
as bob complete CHG-000001 --close-code successful >/dev/null
at 2026-11-06T10:00:00Z
as bob review CHG-000001 -m "no errors during the roll" >/dev/null
as alice close CHG-000001 >/dev/null

# CHG-000002: an emergency change whose title is markup
at 2026-11-10T12:00:00Z
hostile='<script>alert(1)</script>&"'"'"
as alice new --title "$hostile" --type emergency --set incident=INC-7 \
	--set implementation_plan=p --set backout_plan=b >/dev/null
as alice submit CHG-000002 >/dev/null
at 2026-11-10T12:25:00Z
as erin approve CHG-000002 >/dev/null
at 2026-11-10T12:40:00Z
as erin start CHG-000002 >/dev/null
at 2026-11-10T13:30:00Z
as erin complete CHG-000002 --close-code successful >/dev/null
at 2026-11-12T09:00:00Z
as bob review CHG-000002 -m "reviewed within 72 hours" >/dev/null

# CHG-000003: scheduled across midnight in December, a task due before
at 2026-11-16T09:00:00Z
as alice new --title "Migrate the billing database" --service db \
	--impact low --urgency low $plans >/dev/null
as alice submit CHG-000003 >/dev/null
at 2026-11-16T15:00:00Z
as bob assess CHG-000003 --risk low >/dev/null
as alice task add CHG-000003 --title "Snapshot the database" \
	--owner bob@example.com --due 2026-12-02T12:00:00Z >/dev/null
at 2026-11-17T10:00:00Z
as bob approve CHG-000003 >/dev/null
as bob schedule CHG-000003 --start 2026-12-03T22:00:00Z \
	--end 2026-12-04T01:00:00Z --implementer bob@example.com >/dev/null

# CHG-000004: a standard change from the template, done on Nov 19
at 2026-11-17T11:00:00Z
as alice new --template os-patch --title "Monthly OS patches" >/dev/null
as alice submit CHG-000004 >/dev/null
as bob schedule CHG-000004 --start 2026-11-19T01:00:00Z \
	--end 2026-11-19T02:00:00Z --implementer bob@example.com >/dev/null
at 2026-11-19T01:02:00Z
as bob start CHG-000004 >/dev/null
as bob complete CHG-000004 --close-code successful >/dev/null
same "the store has its four changes" "$("$CRQ" list | wc -l | tr -d ' ')" 4

# ===== the two files ======================================================
at 2026-11-25T12:00:00Z
expect 0 "" "$CRQ" report --format html -o "$TMP/report.html"
"$CRQ" audit --format html -o "$TMP/audit.html" 2>"$TMP/err"
rc=$?
if [ $rc -le 1 ] && [ -s "$TMP/audit.html" ]; then
	ok "crq audit --format html -o wrote the file (exit $rc)"
else
	not_ok "crq audit --format html: exit $rc"
	sed 's/^/#   /' "$TMP/err"
fi
"$CRQ" report --format html >"$TMP/report2.html" 2>/dev/null
check "the same report on stdout, byte for byte (deterministic)" \
	cmp "$TMP/report.html" "$TMP/report2.html"
for f in report audit; do
	if grep -q '<script' "$TMP/$f.html"; then
		not_ok "$f.html holds a <script>"
	else
		ok "$f.html holds no <script>"
	fi
	if grep -qF '&lt;script&gt;alert(1)&lt;&#47;script&gt;&amp;&quot;&#39;' "$TMP/$f.html"; then
		ok "$f.html shows the hostile title as text"
	else
		not_ok "$f.html: the hostile title is not escaped"
	fi
done

# windows: CHG-000001 (Nov 5), -3 (Dec 3 and 4: two days), -4 (Nov 19);
# the emergency change has none.  The policy's year-end freeze: Dec 24
# to Jan 2, nine days.  Six controls a change.
want="--changes 4 --controls 24 --gantt-bars 3 --cal-windows 4 --cal-freezes-min 9 --refused 0"
htmlcheck "crq report's file in a browser" "$TMP/report.html" $want \
	--charts-min 9 --screenshot "$shots/report.png"
htmlcheck "crq audit's file in a browser" "$TMP/audit.html" $want \
	--charts-min 9 --screenshot "$shots/audit.png"
if "$PY" -c '
import sys
t = open(sys.argv[1]).read()
sys.exit(not (t.index("id=\"changes\"") < t.index("id=\"metrics\"") and
	open(sys.argv[2]).read().index("id=\"metrics\"") <
	open(sys.argv[2]).read().index("id=\"changes\"")))' "$TMP/audit.html" "$TMP/report.html"; then
	ok "the audit's file starts with the trails, the report's with the metrics"
else
	not_ok "section order in audit.html / report.html"
fi

# the unit test's fixtures (a hostile title, escapes in a message, every
# control status, a refused step) rendered and checked in the browser
ut="$(dirname "$CRQ")/tests/test_dashboard"
mkdir -p "$TMP/fx"
if DASHBOARD_OUT="$TMP/fx" CRQ_DATADIR="$TOP" "$ut" >"$TMP/ut.out" 2>&1; then
	ok "the renderer writes the fixtures' pages"
else
	not_ok "$ut: $(tail -3 "$TMP/ut.out")"
fi
for f in report audit; do
	htmlcheck "the fixtures' $f page in a browser" "$TMP/fx/$f.html" \
		--changes 5 --controls 30 --gantt-bars 5 --cal-windows 6 \
		--cal-freezes-min 3 --refused 1 --charts-min 9
done

# ===== a commit signed by a stranger: a refused row ========================
ssh-keygen -q -t ed25519 -N '' -C eve -f "$TMP/eve" </dev/null
git checkout -q -B forged
f3=$(git ls-files 'changes/*/CHG-000003.yaml')
sed -i 's/^title: Migrate the billing database$/title: Changed by eve/' "$f3"
git add "$f3"
at 2026-11-20T09:00:00Z
gitas alice "$TMP/eve" commit -q -S -m "$(msg CHG-000003 edit scheduled scheduled)"
at 2026-11-25T12:00:00Z
"$CRQ" audit --format html -o "$TMP/forged.html" 2>/dev/null
same "crq audit exits 1 on the forged branch" "$?" 1
htmlcheck "the forged branch's audit: one refused row" "$TMP/forged.html" \
	--changes 4 --refused 1
if grep -q '<tr class="refused">' "$TMP/forged.html" &&
   grep -q 'unknown-key' "$TMP/forged.html"; then
	ok "the refused row says the key is unknown"
else
	not_ok "no refused row with unknown-key in forged.html"
fi
git checkout -q main

# ===== the checker's negative cases ========================================
sed 's|<footer>|<footer><img src="http://example.invalid/pixel.png" alt="">|' \
	"$TMP/report.html" >"$TMP/ext-img.html"
htmlfails "an external image: Chromium's net log shows the request" \
	"not ok - offline: the page requested http://example.invalid/pixel.png" \
	"$TMP/ext-img.html"
sed 's|</style>|footer{background:url(https://cdn.example.invalid/bg.png)}</style>|' \
	"$TMP/report.html" >"$TMP/ext-css.html"
htmlfails "a stylesheet url(): the net log shows it too" \
	"not ok - offline: the page requested https://cdn.example.invalid/bg.png" \
	"$TMP/ext-css.html"
sed 's|<main>|<main><p>a <b>bad</p> nesting|' "$TMP/report.html" >"$TMP/bad.html"
htmlfails "a parse error fails the strict parse" \
	"not ok - html5lib (strict) parses bad.html" "$TMP/bad.html"
printf '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>x</title></head><body><h1></h1></body></html>\n' >"$TMP/blank.html"
"$PY" "$HC" "$TMP/blank.html" --screenshot "$TMP/blank.png" >"$TMP/hc.out" 2>&1
if [ $? = 1 ] && grep -q "not ok - the screenshot looks blank" "$TMP/hc.out"; then
	ok "a blank page fails the screenshot check"
else
	not_ok "a blank page passed"
	sed 's/^/#   /' "$TMP/hc.out"
fi

done_testing
