#!/bin/sh
# Automation: the default policy's rules at work on one change, made on
# fixed dates (Monday 23 November 2026): a high-risk assess that
# requires a security approval and gives ops a task, a notification
# channel on this machine, the deployment gate and a deployment, an
# implementation running late and escalated to the director by the
# automation member, and the events of it all.  Prints the commands
# and their real output (the README's section "Automation" is this
# output; tests/e2e/t38-automation-readme.sh checks it).
# usage: examples/automation.sh PATH/TO/crq
set -eu
CRQ=$1
case $CRQ in /*) ;; *) CRQ=$(pwd)/$CRQ ;; esac
AUTO=$(mktemp -d "${TMPDIR:-/tmp}/crq-auto.XXXXXX")
trap 'rm -rf "$AUTO"' EXIT
export HOME="$AUTO/home" GIT_CONFIG_NOSYSTEM=1 TZ=UTC LC_ALL=C
unset GIT_DIR GIT_WORK_TREE CI
mkdir -p "$HOME" "$AUTO/keys"
for who in alice bob carol dave frank gina bot; do
	ssh-keygen -q -t ed25519 -N '' -C "$who" -f "$AUTO/keys/$who" </dev/null
done
git config --global user.name "Alice Example"
git config --global user.email alice@example.com
git config --global gpg.format ssh
git config --global user.signingkey "$AUTO/keys/alice"
git config --global init.defaultBranch main

# as NAME TIME crq-args: NAME's crq at TIME
as() {
	who=$1 t=$2
	shift 2
	env GIT_AUTHOR_NAME="$who" GIT_AUTHOR_EMAIL="$who@example.com" \
		GIT_COMMITTER_NAME="$who" GIT_COMMITTER_EMAIL="$who@example.com" \
		GIT_AUTHOR_DATE="$t" GIT_COMMITTER_DATE="$t" \
		"$CRQ" -c user.signingkey="$AUTO/keys/$who" "$@"
}
# when NAME TIME crq-args: a step, quietly
when() { as "$@" >/dev/null; }
# show NAME TIME crq-args: what NAME types at TIME, and what crq answers
show() {
	who=$1 t=$2
	shift 2
	printf '%s$ crq %s\n' "$(echo "$t" | cut -c12-16) $who" "$*"
	as "$who" "$t" "$@" 2>&1 || echo "(exit $?)"
	echo
}

cd "$AUTO"
export GIT_AUTHOR_DATE=2026-11-20T08:00:00Z GIT_COMMITTER_DATE=2026-11-20T08:00:00Z
"$CRQ" init store >/dev/null
cd store
"$CRQ" member add bob@example.com --name Bob --role change-manager --role cab \
	--role implementer --key "$AUTO/keys/bob.pub" >/dev/null
"$CRQ" member add carol@example.com --name Carol --role cab \
	--key "$AUTO/keys/carol.pub" >/dev/null
"$CRQ" member add dave@example.com --name Dave --role security \
	--key "$AUTO/keys/dave.pub" >/dev/null
"$CRQ" member add frank@example.com --name Frank --role ops \
	--key "$AUTO/keys/frank.pub" >/dev/null
"$CRQ" member add gina@example.com --name Gina --role director \
	--key "$AUTO/keys/gina.pub" >/dev/null
"$CRQ" member add bot@example.com --name "crq bot" --role automation \
	--key "$AUTO/keys/bot.pub" >/dev/null
# a channel on this machine: the events as JSON lines, one per message
git config crq.notify.changes.type command
git config crq.notify.changes.command "cat >>'$AUTO/changes.jsonl'; echo >>'$AUTO/changes.jsonl'"

when alice 2026-11-23T09:00:00Z new --title "Upgrade payments DB to PostgreSQL 16" \
	--service payments-db --impact high --urgency low \
	--set implementation_plan="pg_upgrade --link" --set backout_plan="restore the snapshot" \
	--set test_plan="replay yesterday's traffic"
when alice 2026-11-23T09:05:00Z submit CHG-000001

echo '```'
show bob 2026-11-23T09:30:00Z assess CHG-000001 --risk high
printf '09:30 bob$ git log -1 --format=%%b\n'
git log -1 --format=%b
show frank 2026-11-23T09:31:00Z todo
show bob 2026-11-23T09:40:00Z approve CHG-000001
when carol 2026-11-23T09:45:00Z approve CHG-000001
show dave 2026-11-23T09:46:00Z approve CHG-000001
when bob 2026-11-23T10:00:00Z schedule CHG-000001 --start 2026-11-23T14:00:00Z \
	--end 2026-11-23T15:00:00Z --implementer bob@example.com
show bob 2026-11-23T14:00:00Z start CHG-000001
when frank 2026-11-23T13:00:00Z task done CHG-000001 1
when bob 2026-11-23T14:00:00Z start CHG-000001
show bot 2026-11-23T14:05:00Z gate --service payments-db
show bob 2026-11-23T14:20:00Z deploy CHG-000001 \
	--ref 3f2a9c1d8e7b6a5f4e3d2c1b0a9f8e7d6c5b4a39 --environment prod
show bot 2026-11-23T16:00:00Z gate --service payments-db
show bot 2026-11-23T16:30:00Z escalate
show bot 2026-11-23T17:30:00Z escalate
show bot 2026-11-23T17:45:00Z escalate
show gina 2026-11-23T17:50:00Z events --since 2026-11-23T13:59:00Z
printf '17:50 gina$ cat changes.jsonl    # what the channel got, in short\n'
python3 -c '
import json, sys
for line in open(sys.argv[1]):
	if line.strip():
		e = json.loads(line)
		print(e["type"], e.get("rule", "-"), e["summary"])' "$AUTO/changes.jsonl"
echo
show gina 2026-11-23T17:50:00Z verify
echo '```'
