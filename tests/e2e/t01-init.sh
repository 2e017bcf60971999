#!/bin/sh
# crq init: creates a repository on main, writes .crq/, one commit.
. "$(dirname "$0")/lib.sh"

cd "$TMP"
expect 0 "" "$CRQ" init store
same "init prints where" "$(cat "$TMP/out")" "initialised crq store in $TMP/store (branch main)"
same "branch is main" "$(git -C store symbolic-ref HEAD)" "refs/heads/main"
same "one commit" "$(git -C store rev-list --count HEAD)" "1"
git -C store cat-file blob HEAD:.crq/policy.yaml >"$TMP/policy"
same "policy is the example plus the first admin (PyYAML)" "$($PY -c '
import sys, yaml
got = yaml.safe_load(open(sys.argv[1])); ex = yaml.safe_load(open(sys.argv[2]))
first = got.pop("members"); ex.pop("members")
print(got == ex, first)' "$TMP/policy" "$TOP/examples/policy.yaml")" \
	"True [{'email': 'alice@example.com', 'name': 'Alice Example', 'roles': ['admin', 'requester', 'change-manager'], 'keys': ['$(cut -d' ' -f1,2 "$HOME/.ssh/id_ed25519.pub")']}]"
same "the example's comments are kept" "$(grep -c '^#' "$TMP/policy")" "$(grep -c '^#' "$TOP/examples/policy.yaml")"
check "templates committed" git -C store cat-file -e HEAD:.crq/templates/os-patch.yaml
same "commit subject" "$(git -C store log -1 --format=%s)" "crq: initialise change store"
same "author from git config" "$(git -C store log -1 --format='%an <%ae>')" "Alice Example <alice@example.com>"
same "fixed date honoured" "$(git -C store log -1 --format=%cI)" "2026-11-23T10:00:00+00:00"
fsck_clean store

# a second init refuses and changes nothing
before=$(state store)
expect 1 "is already a crq store" "$CRQ" init store
same "refused init leaves repository unchanged" "$(state store)" "$before"

# init in an existing code repository keeps its history and branch
git init -q -b trunk code
echo hello >code/README
git -C code add README
git -C code commit -qm "code"
expect 0 "" "$CRQ" -C code init
same "store added on the checked-out branch" "$(git -C code log --format=%s trunk | tr '\n' '|')" \
	"crq: initialise change store|code|"
fsck_clean code

# -C to a missing directory, bad arguments
expect 128 "cannot change to 'nowhere'" "$CRQ" -C nowhere init
expect 129 "unknown option '--bogus'" "$CRQ" init --bogus
expect 129 "too many arguments" "$CRQ" init a b

# crq needs an identity to commit
mkdir noid
expect 128 "user.name is not set" env HOME="$TMP/noid" "$CRQ" init noid/s
check "no repository left behind by a refused init" test ! -e noid/s
expect 128 "user.email is not set" env HOME="$TMP/noid" "$CRQ" -c user.name=Bob init noid/s
expect 128 "no signing key" env HOME="$TMP/noid" "$CRQ" -c user.name=Bob -c user.email=bob@example.com init noid/t
check "no repository left behind without a key" test ! -e noid/t
expect 0 "" env HOME="$TMP/noid" "$CRQ" -c user.name=Bob -c user.email=bob@example.com \
	-c gpg.format=ssh -c user.signingkey="$TMP/home/.ssh/id_ed25519" init noid/t
same "-c overrides git config" "$(git -C noid/t log -1 --format='%an <%ae>')" "Bob <bob@example.com>"

# outside any repository
mkdir plain
expect 128 "not a git repository" env GIT_CEILING_DIRECTORIES="$TMP" "$CRQ" -C plain list
git init -q nostore
expect 128 "run 'crq init'" "$CRQ" -C nostore list
done_testing
