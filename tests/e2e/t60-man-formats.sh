#!/bin/sh
# crq-policy(5) and crq-change(5) list every key their file may hold:
# the FIELDS section comes from the schema crq validates with, and every
# property the schema names (any depth, through $ref and oneOf) is in
# the rendered page, with its enum values; nothing is listed that the
# schema does not have.
. "$(dirname "$0")/lib.sh"

MAN=$TMP/man
CRQ_DATADIR=$TOP check "gen.sh renders the pages" sh "$TOP/doc/man/gen.sh" "$CRQ" "$MAN"

# names SCHEMA: every property name and every enum value of the schema,
# one per line, "name KEY" / "enum VALUE" (its own walk, not fields.py's)
names() {
	"$PY" - "$1" <<'EOF'
import json, sys
s = json.load(open(sys.argv[1]))
keys, enums = set(), set()
def walk(n, seen):
    if isinstance(n, list):
        for x in n:
            walk(x, seen)
    if not isinstance(n, dict):
        return
    if "$ref" in n and n["$ref"] not in seen:
        t = s
        for p in [p for p in n["$ref"][2:].split("/") if p]:
            t = t[p]
        walk(t, seen | {n["$ref"]})
    for k, v in n.get("properties", {}).items():
        keys.add(k)
        walk(v, seen)
    for v in n.get("enum", []):
        if isinstance(v, str):
            enums.add(v)
    for k in ("items", "additionalProperties", "oneOf", "anyOf", "allOf",
              "patternProperties", "not", "then", "else", "if"):
        if k in n:
            walk(n[k] if k != "patternProperties" else list(n[k].values()), seen)
walk(s, frozenset())
for k in sorted(keys):
    print("name", k)
for v in sorted(enums):
    print("enum", v)
EOF
}

for f in policy change; do
	page=$MAN/crq-$f.5
	check "crq-$f(5) rendered" test -s "$page"
	same "crq-$f(5) renders without groff warnings" "$(groff -ww -z -man "$page" 2>&1)" ""
	MANWIDTH=300 man -l "$page" 2>/dev/null | sed 's/‐//g' |
		sed -n '/^FIELDS/,/^SEE ALSO/p' >"$TMP/$f.txt"
	check "crq-$f(5) has a FIELDS section" test -s "$TMP/$f.txt"
	"$CRQ" schema "$f" >"$TMP/$f.json"
	names "$TMP/$f.json" >"$TMP/$f.names"
	check "the $f schema has properties" grep -q "^name " "$TMP/$f.names"
	# every key as the last part of some path in the section's headings
	miss=
	while read -r kind n; do
		case $kind in
		name) grep -Eq "^ {7}([^ ]*[].])?$n( \(|$)" "$TMP/$f.txt" || miss="$miss $n" ;;
		enum) grep -qF -- "$n" "$TMP/$f.txt" || miss="$miss enum:$n" ;;
		esac
	done <"$TMP/$f.names"
	same "crq-$f(5) lists every key and value of the schema" "$miss" ""
	# and nothing else: each heading's last key is one of the schema's
	extra=
	for h in $(grep -E '^ {7}[a-z<][^ ]*( \(|$)' "$TMP/$f.txt" | awk '{print $1}'); do
		last=$(printf '%s\n' "$h" | sed 's/.*[].]//; s/\[\]$//')
		[ "$last" = "<name>" ] && continue
		[ -z "$last" ] && continue
		grep -qx "name $last" "$TMP/$f.names" || extra="$extra $h"
	done
	same "crq-$f(5) lists no key the schema lacks" "$extra" ""
done

# the required ones say so: id and title of a change
grep -Eq '^ {7}id \(string, required\)' "$TMP/change.txt" &&
	ok "crq-change(5): id is required" || not_ok "crq-change(5): id required: $(grep -E '^ {7}id ' "$TMP/change.txt")"
grep -Eq '^ {7}members\[\]\.email \(string, required\)' "$TMP/policy.txt" &&
	ok "crq-policy(5): members[].email is required" ||
	not_ok "crq-policy(5): members[].email: $(grep -F 'members[].email' "$TMP/policy.txt")"
# a schema the page cannot read is an error of gen.sh, not an empty page
mkdir -p "$TMP/bad/schemas"
cp "$TOP"/schemas/*.json "$TMP/bad/schemas/"
printf '{ "properties": ' >"$TMP/bad/schemas/policy.schema.json"
CRQ_DATADIR=$TMP/bad sh "$TOP/doc/man/gen.sh" "$CRQ" "$TMP/man2" >/dev/null 2>"$TMP/err"
check "gen.sh fails on a broken schema" test $? -ne 0
check "and says what" test -s "$TMP/err"
done_testing
