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
for f in "$here"/*.5.scd; do
	[ -e "$f" ] || continue
	b=$(basename "$f" .scd)
	scdoc < "$f" > "$out/$b"
done
