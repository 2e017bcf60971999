#!/bin/sh
# What every command parses at start-up, kept in the cache (DESIGN §9):
# the policy of the tip by its blob id (lib/policy.c) and the parsed
# schemas by the id of their bytes (lib/store.c).  The same stdout,
# stderr and exit code with the cache off, being filled and filled, for
# show, list, set, validate and verify; a policy changed by a step is
# picked up at once; a policy committed by hand that fails gives the
# same error every time (failures are not kept); another schema in
# DATADIR is a miss; the zone check runs on a hit (a libical that does
# not load fails as without the cache); a corrupt table, and a value
# that passes its checksum but is not a tree, are parsed again and
# replaced; a cache that cannot be written leaves the answers alone;
# crq.cache=false writes nothing.
. "$(dirname "$0")/lib.sh"

# tables PREFIX: entries of the cache tables named PREFIX*
entries() {
	"$CRQ" cache status --json 2>/dev/null | $PY -c '
import json, sys
d = json.load(sys.stdin)
print(sum(t["entries"] for t in d["tables"] if t["name"].startswith(sys.argv[1])))' "$1"
}
# run NAME cmd...: stdout, stderr and exit code of a command to $TMP/NAME*
run() {
	n=$1
	shift
	"$@" >"$TMP/$n.out" 2>"$TMP/$n.err"
	echo $? >"$TMP/$n.rc"
}
same_run() { cmp -s "$TMP/$1.out" "$TMP/$2.out" && cmp -s "$TMP/$1.err" "$TMP/$2.err" && cmp -s "$TMP/$1.rc" "$TMP/$2.rc"; }
show_diff() {
	diff "$TMP/$1.out" "$TMP/$2.out" | head -5 | sed 's/^/#   out: /'
	diff "$TMP/$1.err" "$TMP/$2.err" | head -5 | sed 's/^/#   err: /'
	echo "#   rc $(cat "$TMP/$1.rc") / $(cat "$TMP/$2.rc")"
}
# three "description" crq-args...: the cache off, cleared (filling) and
# filled give the same answer
three() {
	d=$1
	shift
	run off env CRQ_CACHE=off "$CRQ" "$@"
	rm -rf .git/crq/cache
	run cold "$CRQ" "$@"
	run warm "$CRQ" "$@"
	if same_run off cold && same_run off warm; then
		ok "$d: the same off, cold and warm (exit $(cat "$TMP/off.rc"))"
	else
		not_ok "$d: off, cold and warm differ"
		show_diff off cold
		show_diff off warm
	fi
}

cd "$TMP"
"$CRQ" init s >/dev/null
cd s
as alice member add erin@example.com --key "$(keyfor erin).pub" --name Erin \
	--role ecab --role implementer --role reviewer >/dev/null
as alice new --title "Patch web" --service web --risk low >/dev/null
as alice new --title "DB upgrade" --service db --risk high --impact high \
	--urgency high >/dev/null
as alice new --template cert-renewal --service edge >/dev/null

# ---- the same answers -----------------------------------------------------
for c in "show CHG-000001" "show --json CHG-000002" "list" "list --json" \
	"validate" "policy show --json" "show CHG-000009" "validate --json"; do
	three "crq $c" $c
done
# verify keeps its own state (the verified tip, verdicts): how many
# commits it checks differs, the answer is the same
"$CRQ" verify >/dev/null 2>&1	# pins the trusted root
run off env CRQ_CACHE=off "$CRQ" verify
rm -rf .git/crq/cache
run cold "$CRQ" verify
run warm "$CRQ" verify
if cmp -s "$TMP/off.out" "$TMP/cold.out" && cmp -s "$TMP/off.rc" "$TMP/cold.rc" &&
   cmp -s "$TMP/off.out" "$TMP/warm.out" && cmp -s "$TMP/off.rc" "$TMP/warm.rc"; then
	ok "crq verify: the same off, cold and warm"
else
	not_ok "crq verify differs"; show_diff off cold; show_diff off warm
fi
rm -rf .git/crq/cache
"$CRQ" show CHG-000001 >/dev/null
[ -n "$(ls .git/crq/cache/policy-v1-* 2>/dev/null)" ] &&
[ -n "$(ls .git/crq/cache/schema-v1-* 2>/dev/null)" ] &&
	ok "the policy and schema tables are written" ||
	not_ok "no policy or schema table: $(ls .git/crq/cache)"
same "one policy blob, one entry" "$(entries policy-v1-)" 1
same "two schemas read by show, two entries" "$(entries schema-v1-)" 2
cp -R .git/crq/cache "$TMP/before"
"$CRQ" show CHG-000001 >/dev/null
if diff -r "$TMP/before" .git/crq/cache >/dev/null; then
	ok "a warm command writes nothing"
else
	not_ok "a warm command rewrote the cache"
fi

# a step, in three copies of the store: off, cold and warm
"$CRQ" show CHG-000001 >/dev/null
for m in off cold warm; do
	rm -rf "$TMP/s-$m"
	cp -R "$TMP/s" "$TMP/s-$m"
done
rm -rf "$TMP/s-cold/.git/crq/cache"
(cd "$TMP/s-off" && CRQ_CACHE=off run off "$CRQ" set CHG-000001 title=Renamed description=d)
(cd "$TMP/s-cold" && run cold "$CRQ" set CHG-000001 title=Renamed description=d)
(cd "$TMP/s-warm" && run warm "$CRQ" set CHG-000001 title=Renamed description=d)
t_off=$(git -C "$TMP/s-off" rev-parse HEAD^{tree})
if same_run off cold && same_run off warm &&
   [ "$t_off" = "$(git -C "$TMP/s-cold" rev-parse HEAD^{tree})" ] &&
   [ "$t_off" = "$(git -C "$TMP/s-warm" rev-parse HEAD^{tree})" ]; then
	ok "crq set: the same answer and the same tree off, cold and warm"
else
	not_ok "crq set differs"
	show_diff off warm
fi
expect 1 "" env CRQ_CACHE=off "$CRQ" set CHG-000001 risk=enormous
cp "$TMP/err" "$TMP/err.off"
expect 1 "" "$CRQ" set CHG-000001 risk=enormous
cmp -s "$TMP/err" "$TMP/err.off" && ok "a refused set: the same message" ||
	not_ok "refused set: $(cat "$TMP/err") / $(cat "$TMP/err.off")"

# ---- a policy changed by a step is the new one at once --------------------
"$CRQ" show CHG-000001 >/dev/null
expect 0 "" as alice member add bob@example.com --name Bob --role cab \
	--key "$(keyfor bob).pub"
"$CRQ" policy show --json >"$TMP/p.warm"
CRQ_CACHE=off "$CRQ" policy show --json >"$TMP/p.off"
if cmp -s "$TMP/p.warm" "$TMP/p.off" && grep -q bob@example.com "$TMP/p.warm"; then
	ok "member add: the next command has bob, as without the cache"
else
	not_ok "member add not picked up"
fi
same "two policy blobs seen, two entries" "$(entries policy-v1-)" 2
three "crq policy allowed-signers after member add" policy allowed-signers

# ---- a policy committed by hand that fails --------------------------------
good=$(git rev-parse HEAD)
commit_policy() {
	git -c commit.gpgsign=false commit -q -m "policy by hand" .crq/policy.yaml
}
# a role nobody defines (a semantic check)
sed 's/- cab$/- wizard/' .crq/policy.yaml >"$TMP/p" && cp "$TMP/p" .crq/policy.yaml
grep -q wizard .crq/policy.yaml || not_ok "the edit of the policy did not apply"
commit_policy
three "a policy with an undefined role" show CHG-000001
grep -q "role 'wizard' is not defined" "$TMP/warm.err" &&
	ok "and the message names the role" || not_ok "message: $(cat "$TMP/warm.err")"
run warm2 "$CRQ" show CHG-000001
same_run off warm2 && ok "a failing policy fails again the same way" ||
	not_ok "second warm run differs"
# not YAML
git checkout -q "$good" -- .crq/policy.yaml
printf 'version: [1\n' >>.crq/policy.yaml
commit_policy
three "a policy that is not YAML" show CHG-000001
# against the schema
git checkout -q "$good" -- .crq/policy.yaml
sed 's/^version: .*/version: many/' .crq/policy.yaml >"$TMP/p" && cp "$TMP/p" .crq/policy.yaml
commit_policy
three "a policy the schema refuses" list
git checkout -q "$good" -- .crq/policy.yaml
commit_policy
three "the good policy again" show --json CHG-000001

# ---- another schema in DATADIR ---------------------------------------------
"$CRQ" show CHG-000001 >/dev/null
mkdir -p "$TMP/data"
cp -r "$TOP/schemas" "$TOP/examples" "$TMP/data/"
$PY - "$TMP/data/schemas/policy.schema.json" <<'EOF'
import json, sys
p = sys.argv[1]
s = json.load(open(p))
s["properties"]["version"]["minimum"] = 1000
open(p, "w").write(json.dumps(s, indent=2))
EOF
run on env CRQ_DATADIR="$TMP/data" "$CRQ" show CHG-000001
run off env CRQ_DATADIR="$TMP/data" CRQ_CACHE=off "$CRQ" show CHG-000001
if same_run on off && [ "$(cat "$TMP/on.rc")" != 0 ] && grep -q version "$TMP/on.err"; then
	ok "another policy schema: the policy now fails, with the cache as without"
else
	not_ok "another policy schema"; show_diff on off
fi
three "and the installed schema still passes it" show CHG-000001
$PY - "$TMP/data/schemas/change.schema.json" <<'EOF'
import json, sys
p = sys.argv[1]
s = json.load(open(p))
s["definitions"]["level"]["enum"] = ["low", "medium"]
open(p, "w").write(json.dumps(s, indent=2))
EOF
cp "$TOP/schemas/policy.schema.json" "$TMP/data/schemas/"
run on env CRQ_DATADIR="$TMP/data" "$CRQ" show CHG-000002
run off env CRQ_DATADIR="$TMP/data" CRQ_CACHE=off "$CRQ" show CHG-000002
if same_run on off && [ "$(cat "$TMP/on.rc")" != 0 ]; then
	ok "another change schema: high risk fails, with the cache as without"
else
	not_ok "another change schema"; show_diff on off
fi

# ---- a zone: checked on a hit too -----------------------------------------
cp -R "$TMP/s" "$TMP/london"
cd "$TMP/london"
"$CRQ" policy show --json | "$PY" -c '
import json, sys, yaml
p = json.load(sys.stdin)
p["calendars"]["office"]["tz"] = "Europe/London"
print(yaml.safe_dump(p, sort_keys=False), end="")' >"$TMP/london.yaml"
expect 0 "" as alice policy apply "$TMP/london.yaml"
three "a policy naming Europe/London" show CHG-000001
mkdir "$TMP/bogus"
echo "not a library" >"$TMP/bogus/libical.so.3"
"$CRQ" show CHG-000001 >/dev/null
run on env LD_LIBRARY_PATH="$TMP/bogus" "$CRQ" show CHG-000001
run off env LD_LIBRARY_PATH="$TMP/bogus" CRQ_CACHE=off "$CRQ" show CHG-000001
if same_run on off && [ "$(cat "$TMP/on.rc")" = 128 ] &&
   grep -q "time zone 'Europe/London': cannot load libical.so.3" "$TMP/on.err"; then
	ok "a libical that does not load: a cached policy fails as a parsed one, as a machine error (128)"
else
	not_ok "the zone check on a hit"; show_diff on off
fi
cd "$TMP/s"

# ---- corruption ------------------------------------------------------------
# flip bytes of the policy table: its checksum fails, it is parsed again
"$CRQ" show CHG-000001 >/dev/null
CRQ_CACHE=off "$CRQ" show --json CHG-000001 >"$TMP/want" 2>&1
for f in .git/crq/cache/policy-v1-* .git/crq/cache/schema-v1-*; do
	$PY - "$f" <<'EOF'
import sys
p = sys.argv[1]
b = bytearray(open(p, "rb").read())
for k in range(40, len(b), 301):
    b[k] ^= 0x5a
open(p, "wb").write(b)
EOF
done
"$CRQ" show --json CHG-000001 >"$TMP/got" 2>&1
cmp -s "$TMP/want" "$TMP/got" && ok "flipped bytes in the tables: the same answer" ||
	not_ok "flipped tables: $(diff "$TMP/want" "$TMP/got" | head -3)"
"$CRQ" show --json CHG-000001 >"$TMP/got" 2>&1
expect 0 "" "$CRQ" cache status
if grep -q corrupt "$TMP/out"; then
	not_ok "still corrupt: $(grep corrupt "$TMP/out")"
else
	ok "and the tables are rebuilt"
fi
same "the policy entry is back" "$(entries policy-v1-)" 1

# values that pass their checksum but are not trees (the overlay's CRCs
# recomputed): the decoder refuses them, the parse replaces them
forge() {
	$PY - "$1" "$2" <<'EOF'
import sys, zlib
p, how = sys.argv[1], sys.argv[2]
b = open(p, "rb").read()
assert b[:8] == b"CRQOVL1\n"
out, at = bytearray(b[:8]), 8
while at < len(b):
    key, n = b[at:at + 20], int.from_bytes(b[at + 20:at + 24], "little")
    v = b[at + 28:at + 28 + n]
    at += 28 + n
    if how == "truncate":
        v = v[:len(v) // 2]
    elif how == "trailing":
        v = v + b"\x00"
    elif how == "magic":
        v = v.replace(b"CNB1", b"CNB9", 1)
    h = key + len(v).to_bytes(4, "little")
    crc = zlib.crc32(h) ^ zlib.crc32(v)
    out += h + crc.to_bytes(4, "little") + v
open(p, "wb").write(out)
EOF
}
for how in truncate trailing magic; do
	"$CRQ" show CHG-000001 >/dev/null
	for f in .git/crq/cache/policy-v1-*.new .git/crq/cache/schema-v1-*.new; do
		forge "$f" $how
	done
	"$CRQ" show --json CHG-000001 >"$TMP/got" 2>&1
	cmp -s "$TMP/want" "$TMP/got" && ok "values forged ($how): the same answer" ||
		not_ok "forged $how: $(diff "$TMP/want" "$TMP/got" | head -3)"
	cp -R .git/crq/cache "$TMP/fixed"
	"$CRQ" show --json CHG-000001 >"$TMP/got" 2>&1
	if diff -r "$TMP/fixed" .git/crq/cache >/dev/null; then
		ok "values forged ($how): replaced by the next parse"
	else
		not_ok "forged $how: not replaced"
	fi
	rm -rf "$TMP/fixed"
done

# ---- a cache that cannot be written, a cache that is off -------------------
rm -rf .git/crq/cache
echo "not a directory" >.git/crq/cache
three "a cache that cannot be written" show --json CHG-000002
rm -rf .git/crq/cache
echo "not a directory" >.git/crq/cache
run ro1 "$CRQ" set CHG-000002 title=Again
[ "$(cat "$TMP/ro1.rc")" = 0 ] && ok "crq set with a cache that cannot be written" ||
	not_ok "set, read-only cache: $(cat "$TMP/ro1.err")"
same "and the cache is left as it was" "$(cat .git/crq/cache)" "not a directory"
rm -f .git/crq/cache
git config crq.cache false
"$CRQ" show CHG-000001 >/dev/null
"$CRQ" list >/dev/null
[ ! -e .git/crq/cache ] && ok "crq.cache=false: nothing written" ||
	not_ok "crq.cache=false wrote $(ls .git/crq/cache)"
git config --unset crq.cache
rm -rf .git/crq/cache
CRQ_CACHE=off "$CRQ" show CHG-000001 >/dev/null
[ ! -e .git/crq/cache ] && ok "CRQ_CACHE=off: nothing written" ||
	not_ok "CRQ_CACHE=off wrote $(ls .git/crq/cache)"

done_testing
