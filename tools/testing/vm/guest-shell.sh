#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# An interactive shell on the test VM's serial console, with job control;
# vm.sh runs it when it has no command.  Leaving the shell (exit, Ctrl-D or
# "poweroff") powers the VM off.
if [ -n "${MVTEST_TTY_SIZE:-}" ]; then
	# shellcheck disable=SC2086 # "ROWS COLS"
	set -- $MVTEST_TTY_SIZE
	stty rows "$1" cols "$2" </dev/ttyS0
fi
exec setsid -w -c bash --rcfile "$(dirname "$0")/guest-bashrc" -i \
	</dev/ttyS0 >/dev/ttyS0 2>&1
