#!/bin/bash
# A bad config stops start-up with "file:line: reason" and a non-zero exit.
. "$(dirname "$0")/lib.sh"
check() {   # check NAME EXPECTED-MESSAGE (the config is in $NAME.conf)
	"$ACTORD" "$1.conf" > out 2>&1
	local rc=$?
	if [ $rc -ne 0 ] && grep -Fxq -- "$2" out; then pass "$1"; else
		fail "$1: rc=$rc, wanted '$2', got: $(cat out)"; fi
}
printf 'thread = 2\nstart = "main"\nbootstrap = "cbootstrap"\nharbor = = 1\n' > syntax.conf
check syntax "syntax.conf:4: unexpected symbol near '='"
printf 'thread = 2\ninclude "nothere.conf"\n' > incl.conf
check incl "incl.conf:2: cannot open nothere.conf (No such file or directory)"
unset ACTORD_TEST_UNSET_VAR
printf 'thread = 2\nroot = "$ACTORD_TEST_UNSET_VAR"\n' > env.conf
check env 'env.conf:2: environment variable ACTORD_TEST_UNSET_VAR is not set'
printf 'thread = "many"\n' > type.conf
check type "type.conf:1: 'thread' must be an integer between 1 and 256"
printf 'thread = 2\nbootstrap = "nosuchmodule boot"\n' > boot.conf
check boot "boot.conf:2: unknown bootstrap 'nosuchmodule boot': no module 'nosuchmodule' built in or along cpath"
check missing "missing.conf: cannot open (No such file or directory)"
"$ACTORD" > out 2>&1; RC=$?
expect_rc 2
expect '^usage: actord CONFIG$' out
finish
