#!/bin/sh
# crq validate and crq schema; crq's validator must agree with
# python3-jsonschema on every example and every invalid ticket.
. "$(dirname "$0")/lib.sh"

cd "$TMP"
# every example and invalid ticket: same verdict from both validators
for f in "$TOP"/examples/changes/*.yaml "$TOP"/tests/data/invalid/*.yaml; do
	py=$($PY "$TOP/tests/crosscheck.py" "$TOP/schemas/change.schema.json" "$f" | cut -d' ' -f2)
	(cd "$(dirname "$f")" && "$CRQ" validate "$(basename "$f")" >/dev/null 2>"$TMP/verr")
	case $? in 0) c=valid ;; 1) c=invalid ;; *) c="crashed($?)" ;; esac
	case $f in */invalid/*) want=invalid ;; *) want=valid ;; esac
	if [ "$c" = "$py" ] && [ "$c" = "$want" ]; then
		ok "crq and python3-jsonschema agree: $(basename "$f") is $c"
	else
		not_ok "$(basename "$f"): crq $c, python3-jsonschema $py, wanted $want"
		sed 's/^/#   /' "$TMP/verr"
	fi
done
pyp=$($PY "$TOP/tests/crosscheck.py" "$TOP/schemas/policy.schema.json" "$TOP/examples/policy.yaml" | cut -d' ' -f2)
same "python3-jsonschema accepts the example policy" "$pyp" "valid"
expect 0 "" "$CRQ" validate "$TOP/examples/policy.yaml"

# problems are reported one per line with file:line:col
cp "$TOP/tests/data/invalid/window-bad-datetime.yaml" w.yaml
expect 1 "w.yaml:8:10: 'window.start' is not an RFC 3339 date-time" "$CRQ" validate w.yaml
printf 'id: CHG-000001\ntitle: x\ntype: big\nstate: draft\nrequester: a@b\ncreated: 2026-11-23T09:00:00Z\nrisk: extreme\n' >two.yaml
expect 1 "two.yaml:3:7:" "$CRQ" validate two.yaml
grep -q "two.yaml:7:7:" "$TMP/err" && ok "every problem reported" || not_ok "second problem missing"
same "id mismatch with the file name is reported" \
	"$(cd "$TOP/examples/changes" && cp CHG-000001.yaml "$TMP/CHG-000009.yaml" && cd "$TMP" && "$CRQ" validate CHG-000009.yaml 2>&1)" \
	"CHG-000009.yaml:1:5: id 'CHG-000001' does not match the file name 'CHG-000009.yaml'"
expect 1 "<stdin>:1:8: ambiguous plain scalar 'no'" sh -c "printf 'title: no\n' | '$CRQ' validate --kind change -"
expect 0 "" sh -c "cat '$TOP/examples/policy.yaml' | '$CRQ' validate --kind=policy -"
printf 'version: 0\n' >p.yaml
expect 1 "p.yaml:1:10" "$CRQ" validate --kind policy p.yaml
expect 1 "cannot open 'nope.yaml'" "$CRQ" validate nope.yaml
expect 129 "unknown kind 'ticket'" "$CRQ" validate --kind ticket x.yaml
expect 129 "unknown option '-x'" "$CRQ" validate -x

# without files: the whole branch
"$CRQ" init s >/dev/null
cd s
"$CRQ" new --title ok >/dev/null
expect 0 "" "$CRQ" validate
printf 'id: CHG-000002\ntitle: 0755\n' >changes/000/CHG-000002.yaml
git add changes && git commit -qm "hand edit"
expect 1 "CHG-000002.yaml:2:8: ambiguous plain scalar '0755'" "$CRQ" validate
grep -q "1 invalid change file" "$TMP/err" && ok "counts invalid files" || not_ok "count"
check "git fsck clean after validating" git fsck --strict --no-progress
cd ..

# crq schema prints the files crq validates with
expect 0 "" "$CRQ" schema change
same "schema change is the file" "$(sha1sum <"$TMP/out")" "$(sha1sum <"$TOP/schemas/change.schema.json")"
expect 0 "" "$CRQ" schema policy
same "schema policy is the file" "$(sha1sum <"$TMP/out")" "$(sha1sum <"$TOP/schemas/policy.schema.json")"
for k in event audit permissions report; do
	expect 0 "" "$CRQ" schema $k
	same "schema $k is the file" "$(sha1sum <"$TMP/out")" "$(sha1sum <"$TOP/schemas/$k.schema.json")"
done
expect 129 "unknown schema 'nope'" "$CRQ" schema nope
check "python3-jsonschema accepts them all as draft-07 schemas" $PY -c '
import json, jsonschema, sys
for f in sys.argv[1:]:
    jsonschema.Draft7Validator.check_schema(json.load(open(f)))' \
	"$TOP"/schemas/*.schema.json
expect 129 "unknown schema 'x'" "$CRQ" schema x
expect 129 "which schema?" "$CRQ" schema
done_testing
