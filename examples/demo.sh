#!/bin/sh
# make demo: walk one change through the whole default workflow with
# three members, each step a commit signed with the member's own key,
# and check the result with git itself.
# usage: examples/demo.sh PATH/TO/crq
set -eu
CRQ=$1
case $CRQ in /*) ;; *) CRQ=$(pwd)/$CRQ ;; esac
DEMO=$(mktemp -d "${TMPDIR:-/tmp}/crq-demo.XXXXXX")
trap 'rm -rf "$DEMO"' EXIT
export HOME="$DEMO/home" GIT_CONFIG_NOSYSTEM=1
mkdir -p "$HOME" "$DEMO/keys"
for who in alice bob carol; do
	ssh-keygen -q -t ed25519 -N '' -C "$who" -f "$DEMO/keys/$who" </dev/null
done
git config --global user.name "Alice Example"
git config --global user.email alice@example.com
git config --global gpg.format ssh
git config --global user.signingkey "$DEMO/keys/alice"

say() { printf '\n\033[1m%s\033[0m\n' "$*"; }
run() { say "\$ $*"; "$@"; }
# as NAME crq-args: crq as another member, signing with their key
as() {
	who=$1
	shift
	say "\$ ($who) crq $*"
	env GIT_AUTHOR_NAME="$who" GIT_AUTHOR_EMAIL="$who@example.com" \
		GIT_COMMITTER_NAME="$who" GIT_COMMITTER_EMAIL="$who@example.com" \
		"$CRQ" -c user.signingkey="$DEMO/keys/$who" "$@"
}

cd "$DEMO"
run "$CRQ" init store
cd store
run "$CRQ" member add bob@example.com --name Bob --role change-manager \
	--role implementer --role reviewer --key "$DEMO/keys/bob.pub"
run "$CRQ" member add carol@example.com --name Carol --role cab \
	--role security --key "$DEMO/keys/carol.pub"
say "\$ crq new --title 'Upgrade PostgreSQL 14 to 15 on billing' ..."
id=$("$CRQ" new --title "Upgrade PostgreSQL 14 to 15 on billing" \
	--service billing --service billing-db --impact high --urgency medium)
echo "$id"
say "\$ crq submit $id      # refused: the plans are missing"
"$CRQ" submit "$id" || echo "(exit $?)"
run "$CRQ" set "$id" "implementation_plan=pg_upgrade --link on the primary, then rebuild replicas" \
	"backout_plan=Promote the untouched replica still on 14" \
	"test_plan=Billing smoke tests and nightly reconciliation"
run "$CRQ" submit "$id" -m "Ready for assessment"
as bob assess "$id" --risk medium
say "\$ crq approve $id      # refused: the requester cannot approve"
"$CRQ" approve "$id" || echo "(exit $?)"
as bob approve "$id" -m "Plan and backout look sound"
as carol approve "$id" -m "CAB: go"
# a window that opens in ten minutes, outside the year-end freeze of
# billing; work may start up to 15 minutes before it (in-window)
start=$(date -u -d '+10 minutes' +%Y-%m-%dT%H:%M:00Z)
end=$(date -u -d '+3 hours' +%Y-%m-%dT%H:%M:00Z)
as bob schedule "$id" --start "$start" --end "$end" --implementer bob@example.com
as bob start "$id"
# a deploy pipeline asks the gate, then records what went out
run "$CRQ" gate --service billing
as bob deploy "$id" --ref "$(git rev-parse HEAD)" --environment prod
as bob complete "$id" --close-code successful -m "Upgraded; replicas rebuilt"
as bob review "$id" -m "Went to plan; 12 minutes of read-only billing"
as bob close "$id"
run "$CRQ" show "$id"
run "$CRQ" log "$id"
run "$CRQ" list --format '%(id) %(state) %(priority) %(close_code) %(title)'
say "\$ crq policy allowed-signers > .git/allowed_signers"
"$CRQ" policy allowed-signers >.git/allowed_signers
cat .git/allowed_signers
say "\$ git verify-commit (every commit, stock git, crq's allowed-signers)"
git config gpg.ssh.allowedSignersFile .git/allowed_signers
n=0
for c in $(git rev-list HEAD); do
	git verify-commit "$c" 2>/dev/null
	n=$((n + 1))
done
echo "all $n commits verified by git"
run git log --format='%h %G? %<(8,trunc)%an %s'
run git fsck --strict --no-progress

say "Sharing: a server with crq's pre-receive hook, and Bob's own clone"
git clone -q --bare . ../server.git
(cd ../server.git && run "$CRQ" hook install)
git remote add origin ../server.git
git fetch -q origin
git branch -q -u origin/main
git clone -q ../server.git ../bob
cd ../bob
as bob comment "$id" -m "Lessons learned filed in the wiki"
cd ../store
run "$CRQ" new --title "Renew the TLS certificate of www" --service web
cd ../bob
as bob sync
cd ../store
run "$CRQ" sync
say "\$ git commit -am 'quick fix'; crq sync      # refused by the server's hook"
sed -i 's/^title: .*/title: quietly renamed/' "changes/000/$id.yaml"
git -c commit.gpgsign=false commit -q -am "quick fix"
"$CRQ" sync || echo "(exit $?)"
git reset -q --hard origin/main
run "$CRQ" verify

say "Evidence: the change's trail and controls, a signed pack, the RACI matrix"
run "$CRQ" audit --change "$id" || true
run "$CRQ" audit --format json -o ../pack.json --sign || true
echo "alice@example.com namespaces=\"crq-audit\" $(cut -d' ' -f1,2 "$DEMO/keys/alice.pub")" >../allowed_signers
run ssh-keygen -Y verify -f ../allowed_signers -I alice@example.com -n crq-audit \
	-s ../pack.json.sig <../pack.json
run "$CRQ" raci --format md
echo
echo "demo ok: every step above is a signed commit in $DEMO/store (removed on exit)"
