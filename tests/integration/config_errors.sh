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
# A clustered node: the keys it needs, and no key without saying so.
C='thread = 2\nbootstrap = "cbootstrap"\nharbor = 2\n'
printf "$C" > noaddr.conf
check noaddr "noaddr.conf:3: harbor = 2 needs 'address' (\"host:port\" this node listens on for other nodes) and 'master' (\"host:port\" of the cluster master)"
printf "$C"'address = "127.0.0.1:2527"\nmaster = "127.0.0.1:2013"\n' > nokey.conf
check nokey "nokey.conf:3: harbor = 2 but no cluster key: set 'cluster_key' or 'cluster_key_file' (32 random bytes, e.g. \`openssl rand -hex 32\`), or 'cluster_insecure = true' to run links with no authentication or encryption"
printf "$C"'address = "127.0.0.1"\nmaster = "127.0.0.1:2013"\n' > badaddr.conf
check badaddr "badaddr.conf:4: 'address' must be \"host:port\", got \"127.0.0.1\""
printf "$C"'address = "127.0.0.1:2527"\nmaster = "127.0.0.1:2013"\ncluster_key = "0011"\n' > shortkey.conf
check shortkey "shortkey.conf:6: cluster key: 4 hex digits, need 64"
printf "$C"'address = "127.0.0.1:2527"\nmaster = "127.0.0.1:2013"\ncluster_insecure = "yes"\n' > insecure.conf
check insecure "insecure.conf:6: 'cluster_insecure' must be true or false"
"$ACTORD" > out 2>&1; RC=$?
expect_rc 2
expect '^usage: actord CONFIG$' out
finish
