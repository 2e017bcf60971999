#!/bin/sh
# git's terminal habits: on a terminal the long output goes through a
# pager (CRQ_PAGER, core.pager, PAGER, less; -p, --no-pager, pager.CMD)
# and states, verdicts and message prefixes are in colour (color.ui,
# --color, NO_COLOR); into a pipe or a file neither, unless asked, and
# never in --json or --format output.  util-linux script gives crq a
# terminal.
. "$(dirname "$0")/lib.sh"

if ! command -v script >/dev/null || ! script -qec true /dev/null >/dev/null 2>&1; then
	echo "ok 1 # skip no util-linux script"
	echo "1..1"
	exit 0
fi
unset CRQ_PAGER PAGER GIT_PAGER LESS LV NO_COLOR
export SHELL=/bin/sh TERM=xterm
ESC=$(printf '\033')

# tty OUT CMD...: run CMD (a shell command line) on a terminal; what the
# terminal showed goes to OUT (line ends as \n); the exit status is
# CMD's.  Never waits more than 30 seconds.
tty() {
	o=$1
	shift
	timeout 30 script -qec "$*" /dev/null >"$o.raw" 2>&1 </dev/null
	rc=$?
	tr -d '\r' <"$o.raw" >"$o"
	return $rc
}
has_esc() { grep -q "$ESC\[" "$1"; }

cd "$TMP"
"$CRQ" init s >/dev/null
cd s
as alice new --title "Patch the web tier" --service web >/dev/null
as alice new --title "Upgrade the database" --service db --risk high >/dev/null

# pager.sh NAME: records that it ran (as NAME, with LESS and LV) and
# what it was given
cat >"$TMP/pager.sh" <<EOF
#!/bin/sh
echo "\$1 LESS=\$LESS LV=\$LV" >>"$TMP/paged"
cat >"$TMP/pagein"
EOF
chmod +x "$TMP/pager.sh"
P=$TMP/pager.sh
fresh() { rm -f "$TMP/paged" "$TMP/pagein"; }
paged_by() { cat "$TMP/paged" 2>/dev/null | cut -d' ' -f1 | tr '\n' ' '; }

# --- which pager --------------------------------------------------------
fresh
tty "$TMP/o" "CRQ_PAGER='$P crq' '$CRQ' list"
same "crq list on a terminal goes through CRQ_PAGER" "$(paged_by)" "crq "
grep -q "CHG-000002" "$TMP/pagein" && ok "the pager got the list" ||
	not_ok "pager input: $(cat "$TMP/pagein" 2>&1)"
same "LESS=FRX and LV=-c in the pager's environment" \
	"$(cut -d' ' -f2- "$TMP/paged")" "LESS=FRX LV=-c"
fresh
tty "$TMP/o" "LESS=X LV=-q CRQ_PAGER='$P crq' '$CRQ' list"
same "LESS and LV already set are kept" "$(cut -d' ' -f2- "$TMP/paged")" "LESS=X LV=-q"

fresh
git config core.pager "$P core"
tty "$TMP/o" "PAGER='$P env' '$CRQ' list"
same "core.pager before PAGER" "$(paged_by)" "core "
fresh
tty "$TMP/o" "PAGER='$P env' CRQ_PAGER='$P crq' '$CRQ' list"
same "CRQ_PAGER before core.pager" "$(paged_by)" "crq "
fresh
tty "$TMP/o" "'$CRQ' -c core.pager='$P dash-c' list"
same "-c core.pager wins over the repository's" "$(paged_by)" "dash-c "
git config --unset core.pager
fresh
tty "$TMP/o" "PAGER='$P env' '$CRQ' list"
same "PAGER without core.pager" "$(paged_by)" "env "
fresh
git config --global core.pager "$P global"
tty "$TMP/o" "PAGER='$P env' '$CRQ' list"
same "a global core.pager" "$(paged_by)" "global "
git config --global --unset core.pager

# outside any repository: the global configuration
fresh
git config --global core.pager "$P global"
mkdir -p "$TMP/nowhere"
tty "$TMP/o" "cd '$TMP/nowhere' && '$CRQ' help list"
same "help outside a repository: the global core.pager" "$(paged_by)" "global "
git config --global --unset core.pager
# a pager that is not there: the output as it is, and a warning
fresh
tty "$TMP/o" "'$CRQ' -c core.pager=no-such-pager-here list"
grep -q "warning: cannot run the pager 'no-such-pager-here': not found" "$TMP/o" &&
	grep -q "^CHG-000002" "$TMP/o" && ok "a missing pager: warned, the list shown" ||
	not_ok "missing pager: $(cat "$TMP/o")"

# the pager's output reaches the terminal, and crq waits for it
fresh
tty "$TMP/o" "CRQ_PAGER='sh -c \"echo PAGED; cat\"' '$CRQ' list"
grep -q "^PAGED" "$TMP/o" && grep -q "^CHG-000001 .*Patch the web tier" "$TMP/o" &&
	ok "what the pager shows is on the terminal" ||
	not_ok "terminal: $(cat "$TMP/o")"
rm -f "$TMP/late"
tty "$TMP/o" "CRQ_PAGER='cat >/dev/null; sleep 1; echo done >\"$TMP/late\"' '$CRQ' list"
[ -f "$TMP/late" ] && ok "crq exits after its pager, not before" ||
	not_ok "crq returned while the pager was still running"

# no pager: --no-pager, -P, not a terminal, cat, empty, pager.CMD=false
for how in "--no-pager list" "-P list" "-c pager.list=false list"; do
	fresh
	tty "$TMP/o" "CRQ_PAGER='$P crq' '$CRQ' $how"
	same "crq $how: no pager" "$(paged_by)" ""
	grep -q "^CHG-000002" "$TMP/o" && ok "crq $how: the list on the terminal" ||
		not_ok "crq $how: $(cat "$TMP/o")"
done
fresh
CRQ_PAGER="$P crq" "$CRQ" list >"$TMP/o" 2>&1
same "stdout not a terminal: no pager" "$(paged_by)" ""
grep -q "^CHG-000002" "$TMP/o" && ok "... and the list in the file" || not_ok "file: $(cat "$TMP/o")"
fresh
tty "$TMP/o" "CRQ_PAGER='$P crq' '$CRQ' list | cat"
same "stdout a pipe on a terminal: no pager" "$(paged_by)" ""
for p in cat ""; do
	fresh
	tty "$TMP/o" "CRQ_PAGER='$p' PAGER='$P env' '$CRQ' list"
	same "CRQ_PAGER='$p' means none (not PAGER)" "$(paged_by)" ""
	grep -q "^CHG-000001" "$TMP/o" && ok "CRQ_PAGER='$p': the list" || not_ok "'$p': $(cat "$TMP/o")"
done
fresh
tty "$TMP/o" "PAGER='$P env' '$CRQ' -c core.pager= list"
same "core.pager empty means none" "$(paged_by)" ""

# which commands page
fresh
tty "$TMP/o" "CRQ_PAGER='$P crq' '$CRQ' show CHG-000001"
same "show pages" "$(paged_by)" "crq "
fresh
tty "$TMP/o" "CRQ_PAGER='$P crq' '$CRQ' help list"
same "help COMMAND pages" "$(paged_by)" "crq "
fresh
tty "$TMP/o" "CRQ_PAGER='$P crq' '$CRQ' audit"
same "audit's text pages" "$(paged_by)" "crq "
fresh
tty "$TMP/o" "CRQ_PAGER='$P crq' '$CRQ' audit --json"
same "audit --json does not" "$(paged_by)" ""
fresh
tty "$TMP/o" "CRQ_PAGER='$P crq' '$CRQ' verify"
same "verify does not page (as git verify-commit)" "$(paged_by)" ""
grep -q "commits\? checked, 0 violations" "$TMP/o" && ok "verify's verdict on the terminal" ||
	not_ok "verify: $(cat "$TMP/o")"
fresh
tty "$TMP/o" "CRQ_PAGER='$P crq' '$CRQ' -p verify"
same "-p verify pages" "$(paged_by)" "crq "
fresh
tty "$TMP/o" "CRQ_PAGER='$P crq' '$CRQ' --paginate verify"
same "--paginate verify pages" "$(paged_by)" "crq "
fresh
tty "$TMP/o" "CRQ_PAGER='$P crq' '$CRQ' -c pager.verify=true verify"
same "pager.verify=true pages verify" "$(paged_by)" "crq "
fresh
tty "$TMP/o" "'$CRQ' -c pager.list='$P own' list"
same "pager.list naming a program is list's pager" "$(paged_by)" "own "
fresh
tty "$TMP/o" "CRQ_PAGER='$P crq' '$CRQ' -p -c pager.list=false list"
same "-p wins over pager.list=false" "$(paged_by)" "crq "
fresh
tty "$TMP/o" "CRQ_PAGER='$P crq' '$CRQ' comment CHG-000001 -m 'no pager for a step'"
same "a step never pages" "$(paged_by)" ""
fresh
tty "$TMP/o" "echo audit | CRQ_PAGER='$P crq' '$CRQ' batch"
same "nothing pages inside crq batch" "$(paged_by)" ""

# stderr, the same terminal, goes through the pager too
fresh
tty "$TMP/o" "CRQ_PAGER='$P crq' '$CRQ' show CHG-999999"
grep -q "no change\|not found\|CHG-999999" "$TMP/pagein" &&
	ok "an error on the terminal goes through the pager" ||
	not_ok "pager input: $(cat "$TMP/pagein" 2>&1); terminal: $(cat "$TMP/o")"

# a pager that quits early: crq ends quietly, as git does
printf 'new --title "Padding change %s with a title long enough to fill a line"\n' \
	$(seq 1 800) | "$CRQ" batch >/dev/null
tty "$TMP/o" "CRQ_PAGER='head -1' '$CRQ' list; echo \"rc=\$?\""
rc=$?
[ $rc = 0 ] && grep -q "^CHG-000001" "$TMP/o" && ok "head -1 as the pager: one line shown, no hang" ||
	not_ok "head -1 pager: exit $rc: $(head -5 "$TMP/o")"
grep -qi "error\|fatal\|broken pipe" "$TMP/o" && not_ok "messages after the pager quit: $(cat "$TMP/o")" ||
	ok "the pager quitting early makes crq say nothing"
grep -q "^rc=141" "$TMP/o" && ok "crq ends by SIGPIPE (141) as git does" ||
	not_ok "exit status: $(grep rc= "$TMP/o")"
tty "$TMP/o" "CRQ_PAGER='exec 0<&-; sleep 0.2' '$CRQ' audit; echo \"rc=\$?\""
grep -qi "error\|fatal\|broken pipe" "$TMP/o" && not_ok "a pager closing its input: $(cat "$TMP/o")" ||
	ok "a pager that closes its input at once: crq says nothing"

# --- colour -------------------------------------------------------------
export CRQ_PAGER=cat
tty "$TMP/o" "'$CRQ' list"
has_esc "$TMP/o" && ok "list on a terminal: in colour" || not_ok "no colour: $(head -2 "$TMP/o")"
grep -q "CHG-000001   ${ESC}\[34mdraft${ESC}\[m        normal" "$TMP/o" &&
	ok "the state in its colour, the columns kept" || not_ok "list: $(head -1 "$TMP/o" | od -c | head -5)"
for c in "show CHG-000001" "log CHG-000001" "verify" "audit" "check --base HEAD~1"; do
	tty "$TMP/o" "'$CRQ' $c"
	has_esc "$TMP/o" && ok "$c on a terminal: in colour" || not_ok "$c: no colour: $(head -3 "$TMP/o")"
done
tty "$TMP/o" "'$CRQ' show CHG-000001"
grep -q "${ESC}\[1mstate${ESC}\[m: ${ESC}\[34mdraft" "$TMP/o" && ok "show: key bold, state coloured" ||
	not_ok "show: $(grep state "$TMP/o" | od -c | head)"
tty "$TMP/o" "'$CRQ' --color=never list"
has_esc "$TMP/o" && not_ok "--color=never: colour" || ok "--color=never: no colour"
tty "$TMP/o" "NO_COLOR=1 '$CRQ' list"
has_esc "$TMP/o" && not_ok "NO_COLOR: colour" || ok "NO_COLOR=1: no colour"
tty "$TMP/o" "NO_COLOR= '$CRQ' list"
has_esc "$TMP/o" && ok "NO_COLOR empty: colour" || not_ok "NO_COLOR empty: no colour"
tty "$TMP/o" "NO_COLOR=1 '$CRQ' --color=always list"
has_esc "$TMP/o" && ok "NO_COLOR and --color=always: colour" || not_ok "--color=always lost to NO_COLOR"
tty "$TMP/o" "NO_COLOR=1 '$CRQ' -c color.ui=always list"
has_esc "$TMP/o" && not_ok "NO_COLOR lost to color.ui=always" || ok "NO_COLOR wins over color.ui=always"
tty "$TMP/o" "TERM=dumb '$CRQ' list"
has_esc "$TMP/o" && not_ok "TERM=dumb: colour" || ok "TERM=dumb: no colour"
git config color.ui never
tty "$TMP/o" "'$CRQ' list"
has_esc "$TMP/o" && not_ok "color.ui=never: colour" || ok "color.ui=never: no colour"
tty "$TMP/o" "'$CRQ' --color=auto list"
has_esc "$TMP/o" && ok "--color=auto wins over color.ui=never" || not_ok "--color=auto: no colour"
git config color.ui false
tty "$TMP/o" "'$CRQ' list"
has_esc "$TMP/o" && not_ok "color.ui=false: colour" || ok "color.ui=false: no colour"
git config color.ui always
"$CRQ" list >"$TMP/o"
has_esc "$TMP/o" && ok "color.ui=always: colour into a file" || not_ok "color.ui=always: no colour in a file"
"$CRQ" --color=never list >"$TMP/o"
has_esc "$TMP/o" && not_ok "--color=never lost to color.ui=always" || ok "--color=never wins over color.ui=always"
git config --unset color.ui
"$CRQ" list >"$TMP/o"
has_esc "$TMP/o" && not_ok "colour into a file by default" || ok "into a file: no colour by default"
tty "$TMP/o" "'$CRQ' list | cat"
has_esc "$TMP/o" && not_ok "colour into a pipe by default" || ok "into a pipe: no colour by default"
"$CRQ" --color=always list | cat >"$TMP/o"
has_esc "$TMP/o" && ok "--color=always: colour into a pipe" || not_ok "--color=always: none in a pipe"
"$CRQ" --color list >"$TMP/o"
has_esc "$TMP/o" && ok "--color alone is always" || not_ok "--color: no colour"
tty "$TMP/o" "CRQ_PAGER='$P crq' '$CRQ' list"
has_esc "$TMP/pagein" && ok "auto colours what goes to the pager" || not_ok "no colour into the pager"

# never in JSON or --format output
for c in "list --json" "list --format json" "show --json CHG-000001" \
	"log --json CHG-000001" "verify --json" "check --base HEAD~1 --json" \
	"audit --json"; do
	"$CRQ" --color=always $c >"$TMP/o" 2>/dev/null
	has_esc "$TMP/o" && not_ok "$c --color=always: colour in JSON" ||
		{ $PY -c 'import json,sys; json.load(open(sys.argv[1]))' "$TMP/o" &&
			ok "$c with --color=always: plain JSON"; } ||
		not_ok "$c: not JSON"
done
"$CRQ" --color=always list --format '%(id) %(state)' >"$TMP/o"
has_esc "$TMP/o" && not_ok "colour in --format output" || ok "--format output: never coloured"
tty "$TMP/o" "'$CRQ' list --format '%(state)'"
has_esc "$TMP/o" && not_ok "--format on a terminal: colour" || ok "--format on a terminal: no colour"

# message prefixes: coloured on a terminal only
tty "$TMP/o" "'$CRQ' show CHG-999999"
grep -q "${ESC}\[1;31merror:${ESC}\[m" "$TMP/o" && ok "error: in red on a terminal" ||
	not_ok "error prefix: $(cat "$TMP/o")"
tty "$TMP/o" "'$CRQ' show CHG-999999 2>'$TMP/e'"
if has_esc "$TMP/e"; then not_ok "error: coloured into a file"; else
	grep -q "^error: " "$TMP/e" && ok "stderr into a file: a plain error:" || not_ok "stderr: $(cat "$TMP/e")"; fi
"$CRQ" --color=always show CHG-999999 2>"$TMP/e"
has_esc "$TMP/e" && not_ok "--color=always coloured stderr in a file" ||
	ok "stderr not a terminal: plain even with --color=always"
tty "$TMP/o" "NO_COLOR=1 '$CRQ' show CHG-999999"
has_esc "$TMP/o" && not_ok "NO_COLOR: coloured error" || ok "NO_COLOR: a plain error: on a terminal"

# a bad --color value is a usage error naming it
expect 129 "unknown --color value 'sometimes'" "$CRQ" --color=sometimes list
expect 129 "unknown --color value ''" "$CRQ" --color= list
expect 129 "unknown --color value 'true'" "$CRQ" --color=true list
"$CRQ" -c color.ui=sometimes --color=always list >/dev/null 2>"$TMP/e"
[ ! -s "$TMP/e" ] && ok "--color given: color.ui not even read" || not_ok "stderr: $(cat "$TMP/e")"
tty "$TMP/o" "'$CRQ' -c color.ui=sometimes list"
grep -q "warning: color.ui 'sometimes' is not auto, always, never" "$TMP/o" &&
	ok "a bad color.ui: a warning, then auto" || not_ok "bad color.ui: $(cat "$TMP/o")"
"$CRQ" --help >"$TMP/o"
for o in --no-pager --paginate --color; do
	grep -q -- "$o" "$TMP/o" && ok "crq --help names $o" || not_ok "crq --help lacks $o"
done
done_testing
