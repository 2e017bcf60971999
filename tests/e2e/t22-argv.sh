#!/bin/sh
# The argv of every command, fuzzed (tests/argv-fuzz.py): options
# without values, options as values, empty and 100 KB values, repeats,
# odd orders, unknown options, stray arguments.  Never a crash; wrong
# usage exits 129 with a usage line, valid usage never does.
. "$(dirname "$0")/lib.sh"

cd "$TMP"
"$CRQ" init s >/dev/null
cd s
as alice member add bob@example.com --key "$(keyfor bob).pub" --name Bob \
	--role cab --role change-manager --role implementer >/dev/null
as alice new --title "Upgrade DB" --service db >/dev/null
as alice set CHG-000001 implementation_plan=a backout_plan=b test_plan=c >/dev/null
as alice submit CHG-000001 >/dev/null
as alice new --title "Second" >/dev/null

# the known crash: an option missing its value before another option
expect 129 "option '--pr' needs a value" "$CRQ" approve CHG-000001 --pr --from-review
grep -q "^usage: crq approve" "$TMP/err" && ok "with the usage line" || not_ok "usage line"
expect 129 "option '--from-review' needs a value" "$CRQ" approve CHG-000001 --from-review --pr 7
expect 129 "option '-m' needs a value" "$CRQ" submit CHG-000001 -m --role
expect 129 "'--role' given twice" "$CRQ" approve CHG-000001 --role cab --role=cab
expect 129 "'--risk' given twice" "$CRQ" assess CHG-000001 --risk low --risk high
expect 129 "'--json' given twice" "$CRQ" show --json CHG-000001 --json
same "a refused line in crq batch stops it with 129" \
	"$(printf 'approve CHG-000001 --pr --from-review\n' | "$CRQ" batch 2>/dev/null; echo $?)" "129"
# options may come before the change
expect 0 "" "$CRQ" comment -m "before the id" CHG-000001
expect 0 "" "$CRQ" do -m "again" CHG-000001 comment
# a value may start with '-' unless it looks like an option
expect 0 "" "$CRQ" comment CHG-000001 -m "- a list item"
expect 0 "" "$CRQ" comment CHG-000001 -m -1
expect 0 "" "$CRQ" comment CHG-000001 --message=--looks-like-an-option
same "recorded as given" "$(git log -3 --format=%b | grep -v '^Crq-' | grep . | tr '\n' '|')" \
	"--looks-like-an-option|-1|- a list item|"
expect 129 "unexpected argument 'CHG-000002'" "$CRQ" comment CHG-000001 CHG-000002 -m x
expect 129 "option '--risk' does not go with 'comment'" "$CRQ" do CHG-000001 comment -m x --risk low
expect 129 "unknown option '--role'" "$CRQ" submit CHG-000001 --role cab
expect 129 "unknown option '-x'" "$CRQ" policy check -x
expect 129 "too many arguments" "$CRQ" help list show
# crq batch: its own usage errors have the usage line too
printf 'list "unterminated\n' | "$CRQ" batch >/dev/null 2>"$TMP/err"
same "batch: unterminated quote exits 129" "$?" "129"
grep -q "^usage: crq batch" "$TMP/err" && ok "with the usage line" || not_ok "usage line"
$PY -c 'print("list" + " x" * 300)' | "$CRQ" batch >/dev/null 2>"$TMP/err"
same "batch: too many words exits 129" "$?" "129"
printf 'list -h\n' | "$CRQ" batch >"$TMP/out" 2>&1
same "batch: CMD -h is its help" "$(head -n 1 "$TMP/out")" "usage: crq list [filters] [--json | --format FMT]"

aux="$TMP/aux"
mkdir -p "$aux"
printf '[]\n' >"$aux/reviews.json"
printf 'title: From a file\n' >"$aux/fields.yaml"
cp "$(keyfor zoe).pub" "$aux/zoe.pub"
start=$(date +%s)
$PY "$TOP/tests/argv-fuzz.py" "$CRQ" "$TMP/s" "$aux" >"$TMP/fuzz" 2>&1 ||
	not_ok "argv-fuzz.py failed"
while IFS= read -r line; do
	case $line in
	"ok - "*) ok "${line#ok - }" ;;
	"not ok - "*) not_ok "${line#not ok - }" ;;
	*) echo "$line" ;;
	esac
done <"$TMP/fuzz"
echo "# argv fuzz took $(($(date +%s) - start)) s"
fsck_clean "$TMP/s"
done_testing
