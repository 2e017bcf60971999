#!/bin/sh
# A month of changes on fixed dates (November 2026), and what an auditor
# and a change manager get from it: crq audit (one change's trail and
# controls, a signed pack checked with ssh-keygen, the permission
# audit) and crq report.  The README's "For auditors" and "Reports"
# sections are this script's output.
# usage: examples/evidence.sh PATH/TO/crq [DIR]
#   DIR: also keep the store there (DIR/store) and write DIR/report.html
#   and DIR/audit.html
set -eu
CRQ=$1
OUT=${2:-}
case $CRQ in /*) ;; *) CRQ=$(pwd)/$CRQ ;; esac
if [ -n "$OUT" ]; then
	mkdir -p "$OUT"
	OUT=$(cd "$OUT" && pwd)
fi
EV=$(mktemp -d "${TMPDIR:-/tmp}/crq-evidence.XXXXXX")
trap 'rm -rf "$EV"' EXIT
export HOME="$EV/home" GIT_CONFIG_NOSYSTEM=1 LC_ALL=C TZ=UTC
unset CI
mkdir -p "$HOME" "$EV/keys"
for who in alice bob carol dave erin; do
	ssh-keygen -q -t ed25519 -N '' -C "$who" -f "$EV/keys/$who" </dev/null
done
git config --global user.name "Alice Example"
git config --global user.email alice@example.com
git config --global gpg.format ssh
git config --global user.signingkey "$EV/keys/alice"
git config --global init.defaultBranch main

# when NAME TIME crq-args: a step by NAME at TIME.  The steps are queued
# and taken in time order at the end (run_steps): each change's story
# reads on its own below, the store's history is one timeline.
mkdir -p "$EV/queue"
nq=0
when() {
	nq=$((nq + 1))
	printf '%s\0' "$@" >"$EV/queue/$2-$(printf %04d $nq)"
}
run_steps() {
	for f in $(ls "$EV/queue" | sort); do
		xargs -0 sh -c 'who=$1 t=$2; shift 2
			env GIT_AUTHOR_NAME="$who" GIT_AUTHOR_EMAIL="$who@example.com" \
			GIT_COMMITTER_NAME="$who" GIT_COMMITTER_EMAIL="$who@example.com" \
			GIT_AUTHOR_DATE="$t" GIT_COMMITTER_DATE="$t" \
			"$CRQ" -c user.signingkey="$KEYS/$who" "$@" >/dev/null' sh \
			<"$EV/queue/$f" || { echo "step $f failed" >&2; exit 1; }
	done
}
export CRQ KEYS="$EV/keys"
# show TIME crq-args: what the auditor types, and what crq answers
show() {
	t=$1
	shift
	printf '$ crq %s\n' "$*"
	GIT_COMMITTER_DATE="$t" "$CRQ" "$@" 2>&1 || echo "(exit $?)"
	echo
}
plans() { echo "--set implementation_plan=$1 --set backout_plan=$2 --set test_plan=$3"; }

cd "$EV"
export GIT_AUTHOR_DATE=2026-11-02T08:00:00Z GIT_COMMITTER_DATE=2026-11-02T08:00:00Z
"$CRQ" init store >/dev/null
cd store
"$CRQ" member add bob@example.com --name Bob --role change-manager --role cab \
	--role implementer --role reviewer --key "$EV/keys/bob.pub" >/dev/null
"$CRQ" member add carol@example.com --name Carol --role cab --role security \
	--key "$EV/keys/carol.pub" >/dev/null
"$CRQ" member add dave@example.com --name Dave --key "$EV/keys/dave.pub" >/dev/null
"$CRQ" role grant dave@example.com cab --until 2026-12-15 >/dev/null
"$CRQ" member add erin@example.com --name Erin --role ecab --role implementer \
	--key "$EV/keys/erin.pub" >/dev/null
# what the report measures waiting against
"$CRQ" policy show --json | python3 -c '
import json, sys, yaml
p = json.load(sys.stdin)
p["report"] = {"targets": {"submitted": "8h", "assessed": "1d", "authorized": "3d"}}
print(yaml.safe_dump(p, sort_keys=False), end="")' >"$EV/policy.yaml"
"$CRQ" policy apply "$EV/policy.yaml" >/dev/null

# 1. the API gateway: a normal change, medium risk, all the way
when alice 2026-11-02T09:00:00Z new --title "Upgrade the API gateway to 3.2" \
	--service api-gateway --impact medium --urgency medium \
	$(plans "rolling-upgrade" "redeploy-3.1" "smoke-suite")
when alice 2026-11-02T09:10:00Z submit CHG-000001
when bob 2026-11-02T10:00:00Z assess CHG-000001 --risk medium
when alice 2026-11-02T10:30:00Z task add CHG-000001 --title "Drain the canary pool" \
	--phase prepare --owner bob@example.com --due 2026-11-04T17:00:00Z
when bob 2026-11-02T13:00:00Z approve CHG-000001
when carol 2026-11-02T15:00:00Z approve CHG-000001
when bob 2026-11-03T09:00:00Z schedule CHG-000001 --start 2026-11-05T01:00:00Z \
	--end 2026-11-05T03:00:00Z --implementer bob@example.com
when bob 2026-11-04T16:00:00Z task done CHG-000001 1
when bob 2026-11-05T01:05:00Z start CHG-000001
when bob 2026-11-05T01:40:00Z deploy CHG-000001 \
	--ref 3f2a9c1d4b5e6f708192a3b4c5d6e7f8091a2b3c --environment prod
when bob 2026-11-05T02:30:00Z complete CHG-000001 --close-code successful
when bob 2026-11-06T10:00:00Z review CHG-000001 -m "no errors during the roll"
when alice 2026-11-06T10:05:00Z close CHG-000001

# 2. TLS certificates: low risk, one change-manager
when alice 2026-11-03T09:00:00Z new --title "Rotate the TLS certificates" \
	--service web --impact low --urgency medium $(plans "certbot-renew" "old-certs" "ssl-labs")
when alice 2026-11-03T09:05:00Z submit CHG-000002
when bob 2026-11-03T11:00:00Z assess CHG-000002 --risk low
when bob 2026-11-03T16:00:00Z approve CHG-000002
when bob 2026-11-04T09:00:00Z schedule CHG-000002 --start 2026-11-10T02:00:00Z \
	--end 2026-11-10T03:00:00Z --implementer erin@example.com
when erin 2026-11-10T02:05:00Z start CHG-000002
when erin 2026-11-10T02:50:00Z complete CHG-000002 --close-code successful_with_issues
when bob 2026-11-10T11:00:00Z review CHG-000002 -m "one stale intermediate, fixed"
when alice 2026-11-10T11:30:00Z close CHG-000002

# 3. billing database: high risk, two CAB and security; it failed
when alice 2026-11-04T09:00:00Z new --title "Migrate the billing database" \
	--service billing-db --impact high --urgency low $(plans "pg-upgrade" "restore-snapshot" "replay-traffic")
when alice 2026-11-04T09:30:00Z submit CHG-000003
when bob 2026-11-05T10:00:00Z assess CHG-000003 --risk high
when bob 2026-11-05T14:00:00Z approve CHG-000003
when dave 2026-11-06T09:00:00Z approve CHG-000003
when carol 2026-11-09T11:00:00Z approve CHG-000003
when bob 2026-11-09T11:30:00Z task done CHG-000003 1
when bob 2026-11-09T12:00:00Z schedule CHG-000003 --start 2026-11-12T22:00:00Z \
	--end 2026-11-13T02:00:00Z --implementer bob@example.com
when bob 2026-11-12T22:10:00Z start CHG-000003
when bob 2026-11-13T01:20:00Z fail CHG-000003 --close-code failed
when bob 2026-11-13T10:00:00Z review CHG-000003 -m "replication lag; retry with a longer window"
when alice 2026-11-13T10:30:00Z close CHG-000003

# 4. an emergency: the ECAB decides, the review follows within 72 hours
when alice 2026-11-05T16:00:00Z new --title "Patch OpenSSL (CVE)" --type emergency \
	--service web --set incident=INC-4711 --set implementation_plan=apt-upgrade \
	--set backout_plan=apt-downgrade
when alice 2026-11-05T16:05:00Z submit CHG-000004
when erin 2026-11-05T16:20:00Z approve CHG-000004
when erin 2026-11-05T16:30:00Z start CHG-000004
when erin 2026-11-05T17:00:00Z complete CHG-000004 --close-code successful
when bob 2026-11-07T10:00:00Z review CHG-000004 -m "patched everywhere; add a test plan next time"
when alice 2026-11-07T10:30:00Z close CHG-000004

# 5. search v2: backed out
when alice 2026-11-09T09:00:00Z new --title "Roll out search v2" --service search \
	--impact medium --urgency low $(plans "blue-green" "switch-back" "relevance-suite")
when alice 2026-11-09T09:10:00Z submit CHG-000005
when bob 2026-11-09T15:00:00Z assess CHG-000005 --risk medium
when bob 2026-11-10T09:00:00Z approve CHG-000005
when carol 2026-11-11T09:00:00Z approve CHG-000005
when bob 2026-11-11T10:00:00Z schedule CHG-000005 --start 2026-11-17T20:00:00Z \
	--end 2026-11-17T23:00:00Z --implementer erin@example.com
when erin 2026-11-17T20:05:00Z start CHG-000005
when erin 2026-11-17T21:30:00Z fail CHG-000005 --close-code backed_out
when bob 2026-11-18T10:00:00Z review CHG-000005 -m "relevance dropped; backed out"
when alice 2026-11-18T10:30:00Z close CHG-000005

# 6. a standard change: pre-authorized by its template
when alice 2026-11-16T09:00:00Z new --template os-patch --title "Monthly OS patches"
when alice 2026-11-16T09:05:00Z submit CHG-000006
when bob 2026-11-16T10:00:00Z schedule CHG-000006 --start 2026-11-19T01:00:00Z \
	--end 2026-11-19T02:00:00Z --implementer bob@example.com
when bob 2026-11-19T01:02:00Z start CHG-000006
when bob 2026-11-19T01:40:00Z complete CHG-000006 --close-code successful
when bob 2026-11-19T09:00:00Z close CHG-000006

# 7 and 8: still open
when alice 2026-11-23T09:00:00Z new --title "New checkout page" --service web \
	--impact medium --urgency medium $(plans "feature-flag" "flag-off" "e2e-suite")
when alice 2026-11-23T09:10:00Z submit CHG-000007
when alice 2026-11-24T09:00:00Z new --title "Cache warm-up job" --service search \
	--impact low --urgency low $(plans "cron" "remove-cron" "dry-run")
when alice 2026-11-24T09:05:00Z submit CHG-000008
when bob 2026-11-24T11:00:00Z assess CHG-000008 --risk medium
when bob 2026-11-24T15:00:00Z approve CHG-000008

run_steps
NOW=2026-11-25T12:00:00Z
echo '```'
show $NOW audit --change CHG-000004
printf '$ crq audit --format json -o pack.json --sign\n'
GIT_COMMITTER_DATE=$NOW "$CRQ" audit --format json -o "$EV/pack.json" --sign 2>&1 | sed "s|$EV/||"
echo
printf '$ echo "alice@example.com namespaces=\\"crq-audit\\" $(cat alice.pub)" > allowed_signers\n'
echo "alice@example.com namespaces=\"crq-audit\" $(cut -d' ' -f1,2 "$EV/keys/alice.pub")" >"$EV/allowed_signers"
printf '$ ssh-keygen -Y verify -f allowed_signers -I alice@example.com -n crq-audit -s pack.json.sig < pack.json\n'
ssh-keygen -Y verify -f "$EV/allowed_signers" -I alice@example.com -n crq-audit \
	-s "$EV/pack.json.sig" <"$EV/pack.json" 2>&1
echo
show $NOW audit --permissions
echo '```'
# (the README's "Reports" section starts here)
echo '<!-- report -->'
echo '```'
show $NOW report
echo '```'
if [ -n "$OUT" ]; then
	GIT_COMMITTER_DATE=$NOW "$CRQ" report --format html -o "$OUT/report.html" || true
	GIT_COMMITTER_DATE=$NOW "$CRQ" audit --format html -o "$OUT/audit.html" 2>/dev/null || true
	rm -rf "$OUT/store"
	cp -r "$EV/store" "$OUT/store"
fi
