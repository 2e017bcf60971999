#!/bin/sh
# Install the npm packages the tests need into DIR (the GitHub workflow
# linter that t56 runs on the CI recipes), at exact versions; quick and
# quiet when they are already there.  Without npm: installs Debian's
# nodejs and npm with apt-get when run as root, otherwise prints the
# exact line.
# usage: tests/npm-deps.sh DIR
dir=${1:?usage: tests/npm-deps.sh DIR}
case $dir in /*) ;; *) dir=$(pwd)/$dir ;; esac
PKGS="@action-validator/cli@0.6.0"

# name@version is installed when DIR/node_modules/name/package.json says so
have() {
	name=${1%@*} want=${1##*@}
	f=$dir/node_modules/$name/package.json
	[ -f "$f" ] && node -e 'process.exit(require(process.argv[1]).version === process.argv[2] ? 0 : 1)' \
			"$f" "$want" 2>/dev/null
}

if ! command -v npm >/dev/null 2>&1 || ! command -v node >/dev/null 2>&1; then
	if [ "$(id -u)" = 0 ]; then
		echo "installing: nodejs npm"
		export DEBIAN_FRONTEND=noninteractive
		apt-get update -qq || exit 1
		apt-get install -y -qq --no-install-recommends nodejs npm || exit 1
	else
		echo "npm is missing; run:" >&2
		echo "  sudo apt-get install -y nodejs npm" >&2
		exit 1
	fi
fi
missing=
for p in $PKGS; do
	have "$p" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "npm: installing$missing into $dir"
mkdir -p "$dir" || exit 1
# all of them in one install: npm drops from DIR what it was not asked for
# shellcheck disable=SC2086
npm install --prefix "$dir" --no-audit --no-fund $PKGS || exit 1
for p in $PKGS; do
	have "$p" || { echo "npm-deps: $p is not in $dir after npm install" >&2; exit 1; }
done
[ -x "$dir/node_modules/.bin/action-validator" ] ||
	{ echo "npm-deps: no action-validator in $dir/node_modules/.bin" >&2; exit 1; }
