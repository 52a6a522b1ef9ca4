#!/bin/bash
# Names are node-wide and unique; every config key is readable through
# getenv; setenv is set-once.  S3.3-cfg-custom-keys
. "$(dirname "$0")/lib.sh"
write_config names.conf 'start = "tsvc names"' 'myname = "Dmaker"' 'myage = 20'
run_node names.conf 30
expect_rc 0
expect '\] NAMES ok errors=0$'
finish
