#!/bin/sh
# need-pkgs.sh PKG... - make sure the Debian packages are installed.
# As root, missing packages are installed with apt-get (non-interactive);
# otherwise the exact command is printed and the script fails.
missing=
for p in "$@"; do
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)
	case "$st" in
	*" installed") ;;
	*) missing="$missing $p" ;;
	esac
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "missing Debian packages:$missing" >&2
	echo "install them with:  sudo apt-get install -y$missing" >&2
	exit 1
fi
echo "installing Debian packages:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
# A fresh machine has no package lists yet.
if ! ls /var/lib/apt/lists/*_Packages* >/dev/null 2>&1; then
	apt-get update -q >&2 || exit 1
fi
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing >&2 && exit 0
# The lists may be stale (a package moved to a new version): refresh once.
apt-get update -q >&2 && apt-get install -y -q --no-install-recommends $missing >&2
