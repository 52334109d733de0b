#!/bin/sh
# meson install helper (contrib/meson.build): install the example
# configuration as DIR/marketfs.conf, mode 0600 (it may come to hold API
# keys), unless a marketfs.conf is already there: an existing
# configuration is never overwritten. Honours DESTDIR.
#   usage: install-conf.sh SOURCE DIR
set -eu
src=$1
dir=${DESTDIR:+${DESTDIR%/}}$2
if [ -e "$dir/marketfs.conf" ] || [ -L "$dir/marketfs.conf" ]; then
	echo "Keeping the existing $dir/marketfs.conf (example: $src)"
	exit 0
fi
install -d -m 0755 "$dir"
install -m 0600 "$src" "$dir/marketfs.conf"
echo "Installing $src to $dir/marketfs.conf (mode 0600)"
