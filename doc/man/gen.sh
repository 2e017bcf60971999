#!/bin/sh
# gen.sh BUILD_CRQ OUTDIR: the manual pages, rendered by scdoc from
# `crq help --scdoc` (the command table) and the hand-written .5 pages.
set -eu
crq=$1 out=$2
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out"
"$crq" help --scdoc | scdoc > "$out/crq.1"
cmds=$("$crq" help --commands)
[ -n "$cmds" ] || { echo "gen.sh: $crq help --commands printed nothing" >&2; exit 1; }
for c in $cmds; do
	"$crq" help --scdoc "$c" | scdoc > "$out/crq-$c.1"
done
# a file format's page gets a FIELDS section from the schema crq
# validates that file with (crq-policy.5: crq schema policy), before
# SEE ALSO
for f in "$here"/*.5.scd; do
	[ -e "$f" ] || continue
	b=$(basename "$f" .scd)
	name=${b#crq-}; name=${name%.5}
	"$crq" schema "$name" > "$out/$name.schema.json"
	python3 "$here/fields.py" "$out/$name.schema.json" "$name" > "$out/$name.fields"
	rm -f "$out/$name.schema.json"
	awk -v fields="$out/$name.fields" '
		/^# SEE ALSO/ && !done { while ((getline l < fields) > 0) print l; done = 1 }
		{ print }
		END { if (!done) while ((getline l < fields) > 0) print l }
	' "$f" | scdoc > "$out/$b"
	rm -f "$out/$name.fields"
done
