#!/bin/sh
# A change manager's day: a store with a service catalogue, maintenance
# windows, SLA targets and four changes, made on fixed dates, then what
# the change manager asks of it on Monday 23 November 2026 at 11:40.
# Prints the commands and their real output (the README's section "A
# change manager's day" is this output; tests/e2e/t32-day.sh checks it).
# usage: examples/day.sh PATH/TO/crq
set -eu
CRQ=$1
case $CRQ in /*) ;; *) CRQ=$(pwd)/$CRQ ;; esac
DAY=$(mktemp -d "${TMPDIR:-/tmp}/crq-day.XXXXXX")
trap 'rm -rf "$DAY"' EXIT
export HOME="$DAY/home" GIT_CONFIG_NOSYSTEM=1 TZ=UTC LC_ALL=C
unset GIT_DIR GIT_WORK_TREE CI
mkdir -p "$HOME" "$DAY/keys"
for who in alice bob carol dave; do
	ssh-keygen -q -t ed25519 -N '' -C "$who" -f "$DAY/keys/$who" </dev/null
done
git config --global user.name "Alice Example"
git config --global user.email alice@example.com
git config --global gpg.format ssh
git config --global user.signingkey "$DAY/keys/alice"
git config --global init.defaultBranch main

# when NAME TIME crq-args: a step by NAME at TIME, quietly
when() {
	who=$1 t=$2
	shift 2
	env GIT_AUTHOR_NAME="$who" GIT_AUTHOR_EMAIL="$who@example.com" \
		GIT_COMMITTER_NAME="$who" GIT_COMMITTER_EMAIL="$who@example.com" \
		GIT_AUTHOR_DATE="$t" GIT_COMMITTER_DATE="$t" \
		"$CRQ" -c user.signingkey="$DAY/keys/$who" "$@" >/dev/null
}
# show crq-args: what bob types at 11:40, and what crq answers
show() {
	printf '$ crq %s\n' "$*"
	env GIT_AUTHOR_NAME=bob GIT_AUTHOR_EMAIL=bob@example.com \
		GIT_COMMITTER_NAME=bob GIT_COMMITTER_EMAIL=bob@example.com \
		GIT_AUTHOR_DATE=2026-11-23T11:40:00Z \
		GIT_COMMITTER_DATE=2026-11-23T11:40:00Z \
		"$CRQ" -c user.signingkey="$DAY/keys/bob" "$@" 2>&1 ||
		echo "(exit $?)"
	echo
}

cd "$DAY"
export GIT_AUTHOR_DATE=2026-11-20T08:00:00Z GIT_COMMITTER_DATE=2026-11-20T08:00:00Z
"$CRQ" init store >/dev/null
cd store
"$CRQ" member add bob@example.com --name Bob --role change-manager \
	--role implementer --role reviewer --key "$DAY/keys/bob.pub" >/dev/null
"$CRQ" member add carol@example.com --name Carol --role cab \
	--key "$DAY/keys/carol.pub" >/dev/null
"$CRQ" member add dave@example.com --name Dave --role implementer \
	--role security --key "$DAY/keys/dave.pub" >/dev/null
# the service catalogue and the web's maintenance window
"$CRQ" policy show --json | python3 -c '
import json, sys
p = json.load(sys.stdin)
p["services"] = [
    {"name": "billing-db", "owner": "dave@example.com"},
    {"name": "billing", "depends_on": ["billing-db"]},
    {"name": "payments", "depends_on": ["billing"]},
    {"name": "api", "depends_on": ["billing"]},
    {"name": "web-frontend", "owner": "bob@example.com", "depends_on": ["api"]},
]
p["maintenance"] = [{"name": "web sunday night",
    "services": ["web-frontend", "api"], "tz": "Europe/London",
    "days": ["sun"], "start": "01:00", "end": "05:00"}]
json.dump(p, sys.stdout)' >"$DAY/policy.json"
"$CRQ" policy apply "$DAY/policy.json" >/dev/null
unset GIT_AUTHOR_DATE GIT_COMMITTER_DATE

plans="--set implementation_plan=p --set backout_plan=b --set test_plan=t"
# CHG-000001: billing-db, high impact, medium urgency (priority high)
when alice 2026-11-23T08:30:00Z new --title "Upgrade PostgreSQL 15 to 16" \
	--service billing-db --impact high --urgency medium $plans
when alice 2026-11-23T08:31:00Z task add CHG-000001 --title "Take a base backup" \
	--phase prepare --owner dave@example.com --due 2026-11-28T18:00:00Z
when alice 2026-11-23T08:32:00Z submit CHG-000001
when bob 2026-11-23T09:00:00Z assess CHG-000001 --risk medium
when bob 2026-11-23T09:10:00Z approve CHG-000001
when carol 2026-11-23T09:20:00Z approve CHG-000001
when bob 2026-11-23T09:30:00Z schedule CHG-000001 --start 2026-11-29T01:00:00Z \
	--end 2026-11-29T03:00:00Z --implementer dave@example.com
# CHG-000002: the checkout page, on web-frontend (which needs api,
# billing and billing-db)
when alice 2026-11-23T09:40:00Z new --title "New checkout page" \
	--service web-frontend --impact medium --urgency medium $plans
when alice 2026-11-23T09:41:00Z submit CHG-000002
when bob 2026-11-23T10:00:00Z assess CHG-000002 --risk low
# CHG-000003: certificates on api, high and urgent (critical)
when alice 2026-11-23T11:00:00Z new --title "Rotate the api's TLS certificates" \
	--service api --impact high --urgency high $plans
when alice 2026-11-23T11:01:00Z submit CHG-000003
# CHG-000004: a payments change waiting for its assessment
when alice 2026-11-23T11:05:00Z new --title "Payments retry back-off" \
	--service payments --impact low --urgency medium $plans
when alice 2026-11-23T11:06:00Z submit CHG-000004

show todo
show sla
show list --sla breached
show approve CHG-000002
show schedule CHG-000002 --start 2026-11-29T02:00:00Z --end 2026-11-29T04:00:00Z
show schedule CHG-000002 --start 2026-11-29T04:00:00Z --end 2026-11-29T05:30:00Z
show calendar --from 2026-11-23T00:00:00Z --to 2026-11-30T00:00:00Z
show schedule CHG-000002 --start 2026-11-29T03:00:00Z --end 2026-11-29T04:30:00Z
printf '$ crq calendar --ics | grep -E "^(UID|SEQUENCE|DTSTART|DTEND|SUMMARY|STATUS)" | sed -n 7,12p\n'
env GIT_COMMITTER_DATE=2026-11-23T11:40:00Z "$CRQ" calendar \
	--from 2026-11-23T00:00:00Z --to 2026-11-30T00:00:00Z --ics |
	tr -d '\r' | grep -E "^(UID|SEQUENCE|DTSTART|DTEND|SUMMARY|STATUS)" | sed -n 7,12p
echo
show verify
