#!/bin/sh
# The man pages format without a warning.
#
#   tests/man/check_man.sh PAGE...
#
# For each page: man(1) of man-db must format it at 80 columns without a
# word on standard error (man --warnings: groff's warnings, such as a
# macro it does not know, a line it cannot break or a bad escape), and, if
# groff is installed, so must groff with every warning on (-ww). If
# lexgrog is there (man-db), the NAME section must be one that mandb and
# apropos can read. Needs the Debian packages man-db and groff-base.
# Exit status: 0 all clean, 1 a warning or an error (shown). A missing
# man is a failure, not a skip, so that CI cannot pass without checking.
set -u

if [ $# -eq 0 ]; then
	echo "usage: $0 PAGE..." >&2
	exit 1
fi
if ! command -v man >/dev/null 2>&1; then
	echo "check_man.sh: man not found: install man-db and groff-base" >&2
	exit 1
fi

status=0

# report PAGE WHAT RC TEXT: print a verdict; TEXT is what went to stderr.
report() {
	if [ "$3" -ne 0 ] || [ -n "$4" ]; then
		echo "FAIL $1: $2 (exit status $3):"
		printf '%s\n' "$4" | sed 's/^/    /'
		status=1
	else
		echo "ok   $1: $2"
	fi
}

for page in "$@"; do
	if [ ! -r "$page" ]; then
		echo "FAIL $page: cannot read it"
		status=1
		continue
	fi
	# Only standard error is kept: $(... 2>&1 >/dev/null).
	err=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 -l "$page" 2>&1 >/dev/null)
	report "$page" "LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 -l" $? "$err"

	if command -v groff >/dev/null 2>&1; then
		err=$(groff -man -ww -z "$page" 2>&1 >/dev/null)
		report "$page" "groff -man -ww -z" $? "$err"
	fi

	if command -v lexgrog >/dev/null 2>&1; then
		out=$(lexgrog "$page" 2>&1)
		rc=$?
		case "$out" in
		*"parse failed"*) rc=1 ;;
		esac
		if [ $rc -ne 0 ]; then
			report "$page" "lexgrog (the NAME section)" $rc "$out"
		else
			report "$page" "lexgrog: ${out#*: }" 0 ""
		fi
	fi
done
exit $status
