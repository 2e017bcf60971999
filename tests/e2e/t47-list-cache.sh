#!/bin/sh
# crq list and the summaries it keeps in the cache (DESIGN §9): the same
# output with the cache on (being filled, then filled) and off, in every
# format and with every filter, over varied changes, some edited by hand
# with plain git; filters checked against the full JSON by python; time
# filters computed at read time; another schema is not answered from
# entries made under this one; corrupt tables are detected and rebuilt;
# a filled cache is used (a change file it covers is not read again);
# memory stays flat as the store grows.
. "$(dirname "$0")/lib.sh"

# entries PREFIX [DIR]: entries of the cache tables named PREFIX*
entries() {
	"$CRQ" -C "${2:-.}" cache status --json 2>/dev/null | $PY -c '
import json, sys
d = json.load(sys.stdin)
print(sum(t["entries"] for t in d["tables"] if t["name"].startswith(sys.argv[1])))' "$1"
}
# blobs [DIR]: distinct change files on the tip
blobs() { git -C "${1:-.}" ls-tree -r HEAD changes | awk '{print $3}' | sort -u | wc -l | tr -d ' '; }
# both "description" list-args...: crq list without the cache, with it
# cleared (filling it) and with it filled: the same stdout, stderr and
# exit code
both() {
	d=$1
	shift
	CRQ_CACHE=off "$CRQ" list "$@" >"$TMP/off" 2>"$TMP/off.err"; a=$?
	rm -rf .git/crq/cache
	"$CRQ" list "$@" >"$TMP/on1" 2>"$TMP/on1.err"; b=$?
	"$CRQ" list "$@" >"$TMP/on2" 2>"$TMP/on2.err"; c=$?
	if [ "$a$b$c" = "$a$a$a" ] && cmp -s "$TMP/off" "$TMP/on1" &&
	   cmp -s "$TMP/off" "$TMP/on2" && cmp -s "$TMP/off.err" "$TMP/on1.err" &&
	   cmp -s "$TMP/off.err" "$TMP/on2.err"; then
		ok "$d: the same with the cache off, cold and warm (exit $a, $(wc -l <"$TMP/off") lines)"
	else
		not_ok "$d: off $a, cold $b, warm $c"
		diff "$TMP/off" "$TMP/on1" | head -5 | sed 's/^/#   cold: /'
		diff "$TMP/off" "$TMP/on2" | head -5 | sed 's/^/#   warm: /'
		diff "$TMP/off.err" "$TMP/on2.err" | head -5 | sed 's/^/#   err: /'
	fi
}

cd "$TMP"
"$CRQ" init s >/dev/null
cd s
as alice member add erin@example.com --key "$(keyfor erin).pub" --name Erin \
	--role ecab --role implementer --role reviewer >/dev/null
plans="--set implementation_plan=p --set backout_plan=b"
as alice new --title "Patch web" --service web --risk low >/dev/null
as alice new --title "DB upgrade" --service db --service web --risk high \
	--impact high --urgency high >/dev/null
as alice new --template cert-renewal --service edge >/dev/null
as alice new --title "Quotes 'and' \"more\": % %% %n" --service dns >/dev/null
as alice new --title "Ünïcödé — ok" --risk medium --service web >/dev/null
as alice new --title "Hotfix" --type emergency --set incident=INC-1 $plans >/dev/null
as alice submit CHG-000006 >/dev/null
as erin approve CHG-000006 >/dev/null
as erin start CHG-000006 >/dev/null
as erin complete CHG-000006 --close-code successful >/dev/null
as alice new --title "Hotfix 2" --type emergency --set incident=INC-2 $plans >/dev/null
as alice submit CHG-000007 >/dev/null
as alice task add CHG-000002 --title "Backup" --owner alice@example.com >/dev/null
as alice new --title "Low web" --risk low --service web >/dev/null
# by hand, with plain git: an edit (a new blob for the same change), a
# file in another layout, a broken one, one with an unknown field
sed -i 's/^title: .*/title: Patch web, edited by hand/' changes/000/CHG-000001.yaml
cat >changes/000/CHG-000009.yaml <<'EOF'
{id: CHG-000009, title: "Flow style, by hand", type: normal, state: draft,
 requester: carol@example.com, created: '2026-11-20T10:00:00Z',
 services: [web, dns], risk: high}
EOF
printf 'id: CHG-000010\ntitle: [broken\n' >changes/000/CHG-000010.yaml
printf 'id: CHG-000011\ntitle: Extra\ntype: normal\nstate: draft\nrequester: a@example.com\ncreated: 2026-11-20T10:00:00Z\ncolour: red\n' >changes/000/CHG-000011.yaml
git add changes && git commit -qm "hand edits"

both "table" 
both "--json" --json
both "--format of summary fields" --format '%(id)|%(state)|%(type)|%(risk)|%(title)|%(services)|%(requester)|%(owner)%n%%'
both "--format of other fields" --format '%(id) %(window.start) %(tasks) %(entered) %(description) %(review)'
both "--state" --state draft
both "two states" --state draft --state authorized --format '%(id) %(state)'
both "two states, --json" --state completed --state submitted --json
both "--type" --type emergency --format '%(id) %(incident)'
both "--risk" --risk high
both "--service" --service web --json
both "--requester" --requester carol@example.com
both "all filters" --type normal --state draft --risk high --service web --requester carol@example.com --format '%(id)'
both "--needs" --needs ecab --format '%(id)'
both "--needs, --json" --needs erin@example.com --json

# filters against python's reading of the full listing
CRQ_CACHE=off "$CRQ" list --json >"$TMP/all.json" 2>/dev/null
rm -rf .git/crq/cache
"$CRQ" list >/dev/null 2>&1	# summaries only: --json then finds no JSON
for f in "--state draft" "--state draft --state submitted" "--type emergency" \
	"--risk high" "--service web" "--service dns" "--requester carol@example.com" \
	"--type normal --risk low --service web"; do
	got=$("$CRQ" list $f --format '%(id)' 2>/dev/null | tr '\n' ' ')
	want=$($PY - "$TMP/all.json" $f <<'EOF'
import json, sys
a = json.load(open(sys.argv[1]))
args = sys.argv[2:]
want = {}
for k, v in zip(args[::2], args[1::2]):
    want.setdefault(k[2:], []).append(v)
def ok(c):
    for k, vs in want.items():
        if k == "service":
            if not any(v in c.get("services", []) for v in vs):
                return False
        elif c.get(k) not in vs:
            return False
    return True
print(" ".join(c["id"] for c in a if ok(c)), end=" " if any(ok(c) for c in a) else "")
EOF
)
	same "list $f: the changes python finds in the full listing" "$got" "$want"
done
"$CRQ" list --json >"$TMP/all2.json" 2>/dev/null
cmp -s "$TMP/all.json" "$TMP/all2.json" && ok "--json after a listing that kept summaries only" || not_ok "--json from summaries: $(diff "$TMP/all.json" "$TMP/all2.json" | head -3)"

# --overdue: a function of the time of the run, not of the cache
late="env GIT_COMMITTER_DATE=2026-11-27T00:00:00Z"
rm -rf .git/crq/cache
broken="2 change files could not be read"
expect 1 "$broken" "$CRQ" list --overdue --format '%(id)'
same "not overdue yet (and the cache filled)" "$(cat "$TMP/out")" ""
expect 1 "$broken" $late "$CRQ" list --overdue --format '%(id) %(review_due)'
same "overdue later, from the same cache" "$(cat "$TMP/out")" "CHG-000006 2026-11-26T10:00:00Z"
both "--overdue" --overdue --json
$late "$CRQ" list --overdue --json >"$TMP/on" 2>&1
CRQ_CACHE=off $late "$CRQ" list --overdue --json >"$TMP/off" 2>&1
cmp -s "$TMP/on" "$TMP/off" && ok "--overdue later: the same with the cache off" || not_ok "overdue differs"

# the cache holds the change files of the tip, and a new blob is added
rm -rf .git/crq/cache
"$CRQ" list --json >/dev/null 2>&1
n=$(blobs)
bad=2	# the broken file and the one with an unknown field are not kept
same "a summary per valid change file" "$(entries summaries-)" $((n - bad))
same "and the JSON of each" "$(entries json-)" $((n - bad))
sed -i 's/^title: .*/title: Edited again/' changes/000/CHG-000002.yaml
git commit -qam "edit by hand"
"$CRQ" list --format '%(id) %(title)' >"$TMP/on" 2>&1
CRQ_CACHE=off "$CRQ" list --format '%(id) %(title)' >"$TMP/off" 2>&1
cmp -s "$TMP/on" "$TMP/off" && grep -q "CHG-000002 Edited again" "$TMP/on" &&
	ok "after a hand edit: the new title, as without the cache" || not_ok "hand edit: $(diff "$TMP/on" "$TMP/off")"
same "the new blob is added, the old one kept (content-addressed)" "$(entries summaries-)" $((n - bad + 1))
"$CRQ" list --json >/dev/null 2>&1
same "... and its JSON when --json needs it" "$(entries json-)" $((n - bad + 1))
"$CRQ" -c crq.cache=false list --json >"$TMP/cfg" 2>/dev/null
"$CRQ" list --json >"$TMP/on" 2>/dev/null
cmp -s "$TMP/cfg" "$TMP/on" && ok "crq.cache=false: the same" || not_ok "crq.cache=false differs"
rm -rf .git/crq/cache
CRQ_CACHE=off "$CRQ" list --json >/dev/null 2>&1
same "CRQ_CACHE=off writes no cache" "$(ls .git/crq/cache 2>/dev/null | wc -l | tr -d ' ')" 0

# a filled cache is used: a file it covers is not read again (its
# object replaced by garbage: crq list still answers from the cache,
# without it the file cannot be read)
"$CRQ" list --json >"$TMP/good" 2>/dev/null
obj=$(git rev-parse HEAD:changes/000/CHG-000003.yaml)
f=.git/objects/$(echo "$obj" | cut -c1-2)/$(echo "$obj" | cut -c3-)
if [ -f "$f" ]; then
	cp "$f" "$TMP/obj"
	chmod u+w "$f"
	printf 'garbage' >"$f"
	"$CRQ" list --json >"$TMP/on" 2>/dev/null
	cmp -s "$TMP/good" "$TMP/on" && ok "a warm listing does not read a change file it has" || not_ok "the file was read again"
	"$CRQ" list --format '%(id) %(title)' >"$TMP/on" 2>"$TMP/on.err"
	grep -q "^CHG-000003 " "$TMP/on" && ! grep -q "CHG-000003" "$TMP/on.err" &&
		ok "nor does the table" || not_ok "the table read the file: $(cat "$TMP/on.err")"
	expect 128 "cannot read blob" env CRQ_CACHE=off "$CRQ" list --json
	cp "$TMP/obj" "$f"
else
	not_ok "no loose object for CHG-000003 ($f)"
fi
if command -v strace >/dev/null 2>&1; then
	strace -f -e trace=openat -o "$TMP/trace" "$CRQ" list >/dev/null 2>&1
	opened=0
	for b in $(git ls-tree -r HEAD changes | awk '{print $3}'); do
		grep -q "objects/$(echo "$b" | cut -c1-2)/$(echo "$b" | cut -c3-)" "$TMP/trace" && opened=$((opened + 1))
	done
	same "strace: a warm listing opens no change file but those the cache lacks" "$opened" "$bad"
fi

# another schema: entries made under this one are misses, not answers
mkdir -p "$TMP/data"
cp -r "$TOP/schemas" "$TOP/examples" "$TMP/data/"
$PY - "$TMP/data/schemas/change.schema.json" <<'EOF'
import json, sys
p = sys.argv[1]
s = json.load(open(p))
s["definitions"]["level"]["enum"] = ["low", "medium"]	# high is gone
open(p, "w").write(json.dumps(s, indent=2))
EOF
"$CRQ" list --json >/dev/null 2>&1
CRQ_DATADIR="$TMP/data" "$CRQ" list >"$TMP/on" 2>"$TMP/on.err"; a=$?
CRQ_DATADIR="$TMP/data" CRQ_CACHE=off "$CRQ" list >"$TMP/off" 2>"$TMP/off.err"; b=$?
if [ "$a$b" = 11 ] && cmp -s "$TMP/on" "$TMP/off" && cmp -s "$TMP/on.err" "$TMP/off.err" &&
   grep -q "CHG-000002.yaml" "$TMP/on.err"; then
	ok "another schema: high risk is now invalid, with the cache as without"
else
	not_ok "another schema: exit $a/$b"; diff "$TMP/on.err" "$TMP/off.err" | sed 's/^/#   /'
fi
expect 1 "$broken" "$CRQ" list --risk high --format '%(id)'
same "and this schema's entries are still right" "$(cat "$TMP/out" | tr '\n' ' ')" "CHG-000002 CHG-000009 "

# ---- a store large enough for sorted tables: corruption, rebuilding
cd "$TMP"
git init -q -b main big
(cd big && $PY "$TOP/tests/bench-gen.py" 3000 "$TOP/examples/policy.yaml" | git fast-import --quiet)
cd big
git read-tree HEAD
"$CRQ" list --json >"$TMP/big.json" 2>/dev/null
n=$(blobs)
same "3,000 changes: a summary each" "$(entries summaries-)" "$n"
ls .git/crq/cache/summaries-v1.0 .git/crq/cache/json-v1.0 >/dev/null 2>&1 && ok "kept in sorted tables" || not_ok "tables: $(ls .git/crq/cache)"
# by hand: three edits and a new change
for i in 10 2000 2999; do
	git show HEAD:changes/$(printf %03d $((i / 1000)))/CHG-$(printf %06d $i).yaml |
		sed 's/^state: .*/state: draft/; s/^title: .*/title: hand edit/' >"$TMP/f"
	git update-index --add --cacheinfo 100644,$(git hash-object -w "$TMP/f"),changes/$(printf %03d $((i / 1000)))/CHG-$(printf %06d $i).yaml
done
git commit -qm "by hand" 
for fmt in "" "--json" "--format %(id)%(state)%(title)" "--state draft --format %(id)" "--format %(window.end)"; do
	CRQ_CACHE=off "$CRQ" list $fmt >"$TMP/off" 2>&1
	"$CRQ" list $fmt >"$TMP/on" 2>&1
	cmp -s "$TMP/off" "$TMP/on" && ok "3,000 after hand edits [$fmt]: the same" || not_ok "big [$fmt] differs"
done
for tab in summaries-v1.0 json-v1.0 summaries-v1.1; do
	"$CRQ" list --json >/dev/null 2>&1
	cp ".git/crq/cache/$tab" "$TMP/good-table"
	$PY - ".git/crq/cache/$tab" <<'EOF'
import sys
p = sys.argv[1]
b = bytearray(open(p, "rb").read())
for k in range(1056, len(b) - 8, 997):	# entries, block CRCs and values
    b[k] ^= 0x5a
open(p, "wb").write(b)
EOF
	for fmt in "--json" "" "--format %(id)%(title)%(window.start)"; do
		CRQ_CACHE=off "$CRQ" list $fmt >"$TMP/off" 2>&1
		"$CRQ" list $fmt >"$TMP/on" 2>&1
		cmp -s "$TMP/off" "$TMP/on" && ok "$tab corrupted [$fmt]: the same answer" || not_ok "$tab corrupted [$fmt]: differs"
	done
	"$CRQ" list --json >/dev/null 2>&1
	expect 0 "" "$CRQ" cache status
	grep -q "corrupt" "$TMP/out" && not_ok "$tab: still corrupt after a listing: $(grep corrupt "$TMP/out")" || ok "$tab: rebuilt"
	[ "$(entries summaries-)" -ge "$(blobs)" ] && ok "$tab: the summaries cover the store again" ||
		not_ok "$tab: $(entries summaries-) summaries for $(blobs) files"
done
# corruption found by crq cache status
"$CRQ" list >/dev/null 2>&1
$PY -c "import sys; p=sys.argv[1]; b=bytearray(open(p,'rb').read()); b[1056 + 32 * 700 + 5] ^= 1; open(p,'wb').write(b)" .git/crq/cache/summaries-v1.0
expect 1 "" "$CRQ" cache status
grep -q "summaries-v1.0.*corrupt" "$TMP/out" && ok "cache status finds a flipped summary entry" || not_ok "status: $(cat "$TMP/out")"
# torn and foreign files
for how in truncate foreign overlay; do
	"$CRQ" list --json >/dev/null 2>&1
	case $how in
	truncate) $PY -c "import sys; p=sys.argv[1]; b=open(p,'rb').read(); open(p,'wb').write(b[:len(b)//3])" .git/crq/cache/json-v1.1 ;;
	foreign) head -c 50000 /dev/urandom >.git/crq/cache/summaries-v1.1 ;;
	overlay) printf 'CRQOVL1\nxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx' >.git/crq/cache/summaries-v1.0.new ;;
	esac
	"$CRQ" list --json >"$TMP/on" 2>&1
	CRQ_CACHE=off "$CRQ" list --json >"$TMP/off" 2>&1
	cmp -s "$TMP/on" "$TMP/off" && ok "a $how table: the same answer" || not_ok "$how table: differs"
done

# ---- memory: flat as the store grows (the tables, not the changes, in
# memory): max RSS at 20,000 changes against 2,000
rss() {	# rss DIR args...: max RSS in KB of crq list args in DIR
	d=$1
	shift
	(cd "$d" && $PY -c '
import resource, subprocess, sys
subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)' "$CRQ" list "$@")
}
cd "$TMP"
if grep -qa __asan_init "$CRQ"; then
	ok "# skip memory: a sanitizer build keeps freed memory"
	fsck_clean "$TMP/s"
	done_testing
fi
for n in 2000 20000; do
	git init -q -b main m$n
	(cd m$n && $PY "$TOP/tests/bench-gen.py" $n "$TOP/examples/policy.yaml" | git fast-import --quiet)
done
for fmt in "" "--json" "--format %(id)%(title)" "--format %(id)%(window.start)"; do
	rm -rf m2000/.git/crq/cache m20000/.git/crq/cache
	c2=$(rss m2000 $fmt)
	c20=$(rss m20000 $fmt)
	w2=$(rss m2000 $fmt)
	w20=$(rss m20000 $fmt)
	# kept in memory: libgit2's delta cache (16 MB at most) and what
	# the pack maps grow with the store; parsed changes do not
	[ "$c20" -lt $((c2 + 40000)) ] && ok "[$fmt] first run: $c20 KB at 20,000 changes, $c2 KB at 2,000" ||
		not_ok "[$fmt] first run grows: $c20 KB at 20,000 changes, $c2 KB at 2,000"
	[ "$w20" -lt $((w2 + 25000)) ] && ok "[$fmt] from the cache: $w20 KB at 20,000 changes, $w2 KB at 2,000" ||
		not_ok "[$fmt] from the cache grows: $w20 KB at 20,000 changes, $w2 KB at 2,000"
done
same "the listing of 20,000 from the cache is the listing without" \
	"$(cd m20000 && "$CRQ" list --json | cksum)" "$(cd m20000 && CRQ_CACHE=off "$CRQ" list --json | cksum)"

fsck_clean "$TMP/s"
done_testing
