#!/bin/sh
# crq show and crq list: JSON checked with python's json module, filters,
# --format placeholders, unknown ids.
. "$(dirname "$0")/lib.sh"

cd "$TMP"
"$CRQ" init s >/dev/null
cd s
"$CRQ" new --title "Patch web" --service web --risk low >/dev/null
"$CRQ" new --title "DB upgrade" --service db --service web --risk high \
	--impact high --urgency high >/dev/null
"$CRQ" new --title "Gateway fix" --type emergency --set incident=INC-9 \
	--risk medium >/dev/null
"$CRQ" new --template cert-renewal --service edge >/dev/null

expect 0 "" "$CRQ" show CHG-000002
same "show prints the stored file" "$(cat "$TMP/out")" \
	"$(git cat-file blob HEAD:changes/000/CHG-000002.yaml)"
expect 0 "" "$CRQ" show --json CHG-000002
same "show --json: one object, every field (python json)" \
	"$($PY -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["id"], d["services"], d["priority"], sorted(d))' "$TMP/out")" \
	"CHG-000002 ['db', 'web'] critical ['created', 'entered', 'id', 'impact', 'priority', 'requester', 'risk', 'services', 'state', 'title', 'type', 'updated', 'urgency']"
same "show --json equals the file read by PyYAML" \
	"$($PY -c 'import json,sys,yaml; print(json.load(open(sys.argv[1])) == yaml.safe_load(open(sys.argv[2])))' "$TMP/out" changes/000/CHG-000002.yaml)" "True"

expect 0 "" "$CRQ" list
same "list shows all, in id order" "$(cut -c1-10 "$TMP/out" | tr '\n' ' ')" \
	"CHG-000001 CHG-000002 CHG-000003 CHG-000004 "
expect 0 "" "$CRQ" list --json
same "list --json is an array of the show objects" \
	"$($PY -c 'import json,sys; a=json.load(open(sys.argv[1])); print(len(a), [c["id"] for c in a])' "$TMP/out")" \
	"4 ['CHG-000001', 'CHG-000002', 'CHG-000003', 'CHG-000004']"
"$CRQ" show --json CHG-000003 >"$TMP/one"
same "list --json element equals show --json" \
	"$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))[2] == json.load(open(sys.argv[2])))' "$TMP/out" "$TMP/one")" "True"

expect 0 "" "$CRQ" list --service web --format '%(id)'
same "--service filter" "$(cat "$TMP/out" | tr '\n' ' ')" "CHG-000001 CHG-000002 "
expect 0 "" "$CRQ" list --risk high --format '%(id)'
same "--risk filter" "$(cat "$TMP/out")" "CHG-000002"
expect 0 "" "$CRQ" list --type emergency --format '%(id) %(incident)'
same "--type filter" "$(cat "$TMP/out")" "CHG-000003 INC-9"
expect 0 "" "$CRQ" list --type standard --state draft --requester alice@example.com --format '%(id):%(template)'
same "combined filters" "$(cat "$TMP/out")" "CHG-000004:cert-renewal"
expect 0 "" "$CRQ" list --state closed
same "no match prints nothing" "$(cat "$TMP/out")" ""
expect 0 "" "$CRQ" list --service=web --format='[%(services)] %(owner)|100%% %(window.start)%n--'
same "--format lists, missing fields, escapes" "$(head -n 2 "$TMP/out" | tr '\n' ' ')" "[web] |100%  -- "

expect 129 "bad placeholder" "$CRQ" list --format '%x'
expect 129 "--json and --format %(id) exclude each other" "$CRQ" list --json --format '%(id)'
expect 129 "option '--state' needs a value" "$CRQ" list --state
expect 129 "unknown option '--colour'" "$CRQ" list --colour
expect 1 "no such change 'CHG-000099'" "$CRQ" show CHG-000099
expect 1 "'FOO-1' is not a change id of this store" "$CRQ" show FOO-1
expect 1 "'CHG-1x' is not a change id" "$CRQ" show CHG-1x
expect 129 "which change?" "$CRQ" show
expect 129 "too many arguments" "$CRQ" show CHG-000001 CHG-000002

# filter values come from the change schema: anything else is refused
# with the valid ones listed, before any output
expect 129 "unknown state 'bogus' (valid: draft, submitted, assessed, authorized, scheduled, implementing, completed, failed, reviewed, closed, rejected, cancelled)" "$CRQ" list --state bogus
grep -q "^usage: crq list" "$TMP/err" && ok "with the usage line" || not_ok "usage line"
same "nothing on stdout" "$(cat "$TMP/out")" ""
expect 129 "unknown type 'urgent' (valid: standard, normal, emergency)" "$CRQ" list --type urgent
expect 129 "unknown risk 'extreme' (valid: low, medium, high)" "$CRQ" list --risk=extreme
expect 129 "unknown risk '' (valid: low, medium, high)" "$CRQ" list --risk ''
expect 129 "unknown state 'Draft'" "$CRQ" list --state draft --state Draft
expect 129 "option '--type' given twice" "$CRQ" list --type normal --type emergency
expect 129 "option '--json' given twice" "$CRQ" list --json --json
expect 129 "option '--state' needs a value" "$CRQ" list --state --json
# repeated --state: any of them
expect 0 "" "$CRQ" submit CHG-000004
expect 0 "" "$CRQ" list --state authorized --format '%(id)'
same "--state authorized" "$(cat "$TMP/out")" "CHG-000004"
expect 0 "" "$CRQ" list --state authorized --state closed --format '%(id)'
same "two states: either" "$(cat "$TMP/out")" "CHG-000004"
expect 0 "" "$CRQ" list --state draft --state=authorized --format '%(id) %(state)'
same "two states: both kinds listed, in id order" "$(cat "$TMP/out" | tr '\n' ' ')" \
	"CHG-000001 draft CHG-000002 draft CHG-000003 draft CHG-000004 authorized "
expect 0 "" "$CRQ" list --state authorized --state draft --risk high --format '%(id)'
same "several states and another filter" "$(cat "$TMP/out")" "CHG-000002"
expect 0 "" "$CRQ" list --state draft --state authorized --json
same "several states, --json" \
	"$($PY -c 'import json,sys; print([c["id"] for c in json.load(open(sys.argv[1]))])' "$TMP/out")" \
	"['CHG-000001', 'CHG-000002', 'CHG-000003', 'CHG-000004']"
"$CRQ" list --json >"$TMP/all"
same "several states, --json: the same objects as one listing" \
	"$(cat "$TMP/out")" "$(cat "$TMP/all")"
expect 0 "" "$CRQ" list --state closed --state rejected --json
same "several states, none matching: []" "$(cat "$TMP/out")" "[]"

# %(field): a property of the change schema (dotted inside objects)
expect 129 "unknown field 'nosuch' in --format" "$CRQ" list --format '%(id) %(nosuch)'
same "refused before any output" "$(cat "$TMP/out")" ""
grep -q "^usage: crq list" "$TMP/err" && ok "with the usage line" || not_ok "usage line"
expect 129 "unknown field 'window.nosuch' in --format" "$CRQ" list --format '%(window.nosuch)'
expect 129 "unknown field 'title.x' in --format" "$CRQ" list --format '%(title.x)'
expect 129 "unknown field '' in --format" "$CRQ" list --format '%()'
expect 129 "unknown field 'window.' in --format" "$CRQ" list --format '%(window.)'
expect 129 "unknown field 'Id' in --format" "$CRQ" list --state closed --format '%(Id)'
expect 0 "" "$CRQ" list --type emergency --format '%(window)|%(review.summary)|%(close_code)|%(incident)'
same "known fields, absent or objects" "$(cat "$TMP/out")" "|||INC-9"

# a broken file committed by hand is reported, the rest still listed
printf 'id: CHG-000005\ntitle: [broken\n' >changes/000/CHG-000005.yaml
git add changes && git commit -qm "hand edit"
expect 1 "1 change file could not be read" "$CRQ" list
grep -q "CHG-000005.yaml:" "$TMP/err" && ok "names the broken file" || not_ok "names the broken file"
same "others still listed" "$(wc -l <"$TMP/out")" "4"
expect 1 "CHG-000005.yaml:3:1" "$CRQ" show CHG-000005

# stdout that cannot be written is an error, not silent success
if [ -w /dev/full ]; then
	expect 128 "cannot write to standard output" sh -c "'$CRQ' list --json >/dev/full"
fi
# a title that would reorder the terminal (U+202E) shows as '?' in the
# table; --json and --format give the bytes as they are
rlo=$(printf 'pay\342\200\256fdp.exe')
id=$("$CRQ" new --title "$rlo")
"$CRQ" list >"$TMP/out"
check "the table shows no U+202E" sh -c "! grep -q \"$(printf '\342\200\256')\" '$TMP/out'"
check "but a ? in its place" grep -q "pay???fdp.exe" "$TMP/out"
same "--format gives the title as it is" "$("$CRQ" list --format '%(title)' | tail -1)" "$rlo"
fsck_clean .
done_testing
