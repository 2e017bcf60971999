#!/bin/sh
# Forge reviews as signed evidence: a bot member imports pull request
# reviews (GitHub and GitLab API shapes) as approvals; stale, self and
# unmapped reviews are refused; crq verify accepts the attestations and
# refuses one made by someone who is not the bot.
. "$(dirname "$0")/lib.sh"

cd "$TMP"
"$CRQ" init s >/dev/null
cd s
as alice member add bob@example.com --key "$(keyfor bob).pub" --name Bob \
	--role change-manager --role cab --handle github=bob-gh >/dev/null
as alice member add carol@example.com --key "$(keyfor carol).pub" --name Carol \
	--role cab --handle github=carol-gh --handle gitlab=carol-gl >/dev/null
as alice member add review-bot@example.com --key "$(keyfor review-bot).pub" \
	--name "Review bot" >/dev/null
# the bot may attest github and gitlab reviews (a policy edit)
"$CRQ" policy show --json | $PY -c '
import json, sys, yaml
p = json.load(sys.stdin)
for m in p["members"]:
    if m["email"] == "alice@example.com":
        m["handles"] = {"github": "alice-gh"}
    if m["email"] == "review-bot@example.com":
        m["attests"] = ["github", "gitlab"]
print(yaml.safe_dump(p, sort_keys=False), end="")' >"$TMP/bot.yaml"
as alice policy apply "$TMP/bot.yaml" >/dev/null
as alice new --title "Upgrade DB" --service db \
	--set implementation_plan=a --set backout_plan=b --set test_plan=c >/dev/null
as alice submit CHG-000001 >/dev/null
old=$(git rev-parse HEAD)
as bob assess CHG-000001 --risk medium --impact low >/dev/null
cur=$(git rev-parse HEAD)

# GitHub: GET /repos/{owner}/{repo}/pulls/{n}/reviews
review() { # id login state commit time
	printf '{"id": %s, "node_id": "PRR_%s", "user": {"login": "%s", "id": %s, "type": "User"}, "body": "", "state": "%s", "html_url": "https://github.example/o/r/pull/7#pullrequestreview-%s", "commit_id": "%s", "submitted_at": "%s", "author_association": "MEMBER"}' \
		"$1" "$1" "$2" "$1" "$3" "$1" "$4" "$5"
}
{
	echo "["
	review 101 bob-gh APPROVED "$cur" 2026-11-23T11:00:00Z; echo ","
	review 102 carol-gh APPROVED "$cur" 2026-11-23T11:05:00Z; echo ","
	review 103 carol-gh CHANGES_REQUESTED "$cur" 2026-11-23T11:10:00Z; echo ","
	review 104 dave-gh APPROVED "$cur" 2026-11-23T11:15:00Z; echo ","
	review 105 alice-gh APPROVED "$cur" 2026-11-23T11:20:00Z
	echo "]"
} >"$TMP/reviews.json"
check "fixture is the API's JSON shape (python json)" $PY -c 'import json,sys; assert len(json.load(open(sys.argv[1]))) == 5' "$TMP/reviews.json"

expect 1 "bob@example.com may not attest github reviews" as bob approve CHG-000001 --from-review "$TMP/reviews.json" --pr 7
expect 1 "reviewer 'dave-gh' maps to no member (handles.github): not imported" \
	as review-bot approve CHG-000001 --from-review "$TMP/reviews.json" --forge github --pr 7
grep -q "the requester cannot decide on their own change" "$TMP/err" && ok "self approval through the forge refused" || not_ok "self: $(cat "$TMP/err")"
same "only bob's approval imported (carol's latest review asked for changes)" "$(cat "$TMP/out")" "CHG-000001: imported 1 github approval"
same "one commit by the bot, for bob, with the evidence in trailers" \
	"$(git log -1 --format='%ae|%(trailers:key=Crq-Forge,key=Crq-PR,key=Crq-Reviewer,key=Crq-Review-Id,valueonly,separator=%x2C)')" \
	"review-bot@example.com|github,7,bob-gh,101"
same "the approval names bob (PyYAML)" "$(git cat-file blob HEAD:changes/000/CHG-000001.yaml | $PY -c '
import sys, yaml
a = yaml.safe_load(sys.stdin)["approvals"]
print([(x["by"], x["role"]) for x in a])')" "[('bob@example.com', 'change-manager')]"

# a stale review: of a commit where the change was different
{ echo "["; review 201 carol-gh APPROVED "$old" 2026-11-23T12:00:00Z; echo "]"; } >"$TMP/stale.json"
expect 1 "carol-gh's review 201 is of $old, where CHG-000001 differs from now: stale, not imported" \
	as review-bot approve CHG-000001 --from-review "$TMP/stale.json" --pr 7

# GitLab: the merge request approvals object
printf '{"id": 5, "iid": 7, "project_id": 3, "state": "opened", "sha": "%s", "approved": true, "approvals_required": 1, "approvals_left": 0, "approved_by": [{"user": {"name": "Carol", "username": "carol-gl", "id": 9, "state": "active"}}]}' "$cur" >"$TMP/gitlab.json"
expect 0 "" as review-bot approve CHG-000001 --from-review "$TMP/gitlab.json" --forge gitlab --pr 7
same "carol's GitLab approval authorizes" "$(git cat-file blob HEAD:changes/000/CHG-000001.yaml | grep '^state:')" "state: authorized"
expect 0 "" "$CRQ" verify
grep -q " 0 violations" "$TMP/err" && ok "attested approvals verify" || not_ok "verify: $(cat "$TMP/out" "$TMP/err")"
expect 1 "cannot open '$TMP/none.json'" as review-bot approve CHG-000001 --from-review "$TMP/none.json"
printf '[{"id": 1,' >"$TMP/broken.json"
expect 1 "broken.json:1:" as review-bot approve CHG-000001 --from-review "$TMP/broken.json"
expect 1 "a GitHub review list is a JSON array" as review-bot approve CHG-000001 --from-review "$TMP/gitlab.json" --forge github
expect 129 "'-m' does not go with --from-review" as review-bot approve CHG-000001 --from-review "$TMP/gitlab.json" -m x
expect 129 "unknown forge 'gitea'" as review-bot approve CHG-000001 --from-review "$TMP/gitlab.json" --forge gitea

# the same import on a pull request's branch, merged with a merge commit
git checkout -q -B main-pr "$cur"
git checkout -q -b pr-review
{ echo "["; review 301 bob-gh APPROVED "$cur" 2026-11-23T13:00:00Z; echo "]"; } >"$TMP/ok.json"
expect 0 "" as review-bot approve CHG-000001 --from-review "$TMP/ok.json" --forge github --pr 7
git checkout -q main-pr
git -c user.name=alice -c user.email=alice@example.com merge -q --no-ff -m "Merge pull request #7" pr-review
expect 0 "" "$CRQ" verify main-pr
grep -q " 0 violations" "$TMP/err" && ok "a forge-review import rides in with a merge commit" || not_ok "pr merge: $(cat "$TMP/out")"

# someone who is not the bot writing an "attestation" by hand
git checkout -q -B fake "$cur"
sed -i "s/^updated: .*/updated: '2026-11-23T10:00:01Z'/" changes/000/CHG-000001.yaml
git add changes
git -c user.name=bob -c user.email=bob@example.com -c gpg.format=ssh -c user.signingkey="$(keyfor bob)" \
	commit -q -S -m "CHG-000001: approve — x

Crq-Change: CHG-000001
Crq-Action: approve
Crq-From: assessed
Crq-To: assessed
Crq-Forge: github
Crq-Reviewer: carol-gh"
expect 1 "" "$CRQ" verify fake
grep -q "^$(git rev-parse HEAD) CHG-000001 attestation: " "$TMP/out" && ok "an attestation by a non-bot is refused" || not_ok "fake: $(cat "$TMP/out")"
git checkout -q main
fsck_clean .
done_testing
