#!/bin/sh
# The whole test suite, from a fresh Debian 12 machine, as root:
#   installs the build and test dependencies, builds marketfs, runs every
#   test (unit and integration, through real FUSE mounts against the local
#   mock providers), then builds again with AddressSanitizer and
#   UndefinedBehaviorSanitizer and runs the unit tests under them.
# Prints "N passed, N failed" last; exits non-zero if anything failed.
set -eu
cd "$(dirname "$0")/.."

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q
	apt-get install -y -q --no-install-recommends \
		gcc libc6-dev meson ninja-build pkg-config \
		libfuse3-dev fuse3 libcurl4-openssl-dev libjansson-dev libsqlite3-dev \
		zlib1g-dev libarchive-dev libssl-dev libinih-dev check tzdata \
		ca-certificates python3 python3-pandas rsync man-db groff-base autofs
fi

status=0
meson setup build --reconfigure >/dev/null 2>&1 || meson setup build
ninja -C build
meson test -C build --print-errorlogs --num-processes 2 || status=1
cp build/meson-logs/testlog.json /tmp/marketfs-testlog-main.json

# Sanitizers: the unit tests under ASan + UBSan (b_lundef=false is needed
# for the sanitizer runtime with meson's default linker flags).
meson setup build-asan -Db_sanitize=address,undefined -Db_lundef=false \
	--reconfigure >/dev/null 2>&1 ||
	meson setup build-asan -Db_sanitize=address,undefined -Db_lundef=false
ninja -C build-asan
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	meson test -C build-asan --suite unit --print-errorlogs || status=1

/usr/bin/python3 - build/meson-logs/testlog.json build-asan/meson-logs/testlog.json <<'PY'
import json, sys
passed = failed = skipped = 0
for path in sys.argv[1:]:
    for line in open(path):
        r = json.loads(line).get("result")
        if r in ("OK", "EXPECTEDFAIL"):
            passed += 1
        elif r == "SKIP":
            skipped += 1
        else:
            failed += 1
print(f"{passed} passed, {failed} failed, {skipped} skipped")
PY
exit $status
