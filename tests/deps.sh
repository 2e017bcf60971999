#!/bin/sh
# Install the Debian packages crq needs to build and test when they are
# missing: with apt-get when run as root, otherwise print the exact line.
missing=
for p in "$@"; do
	s=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)
	case "$s" in *" installed") ;; *) missing="$missing $p" ;; esac
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ]; then
	echo "installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq || exit 1
	apt-get install -y -qq --no-install-recommends $missing || exit 1
	exit 0
fi
echo "missing build dependencies; run:" >&2
echo "  sudo apt-get install -y$missing" >&2
exit 1
