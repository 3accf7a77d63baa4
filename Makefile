# SPDX-License-Identifier: GPL-2.0
#
# mirvol: mirrored block volumes for Linux.
#
#   make               build mirvol.ko and tools/mirvolctl/mirvolctl (never
#                      installs anything; needs the kernel headers)
#   make deps          install what building and testing need (as root)
#   make check         build, run KUnit (UML) and the VM integration tests
#   make check-debug   the fault, race and lifetime VM tests on the debug
#                      kernel (lockdep, KASAN, kmemleak)
#   make torture       the crash and power-cut tests with large budgets
#   make demo          boot a VM on Debian's 6.12 kernel and show mirvol at work
#   make bench         benchmark against md raid1, dm-mirror and the raw device
#   make install       install module, tool, header, man page, bash
#                      completion, udev rules and systemd units
#   make deb           build the Debian packages mirvol-dkms and mirvolctl
#                      into tools/testing/out/deb (see debian/)
#
# check, demo and bench run deps first.  KDIR defaults to
# /lib/modules/$(uname -r)/build when that exists, else to the newest
# installed Debian linux-headers-6.12.*-amd64.  make KDIR=... overrides.

SHELL		:= /bin/bash
SRC		:= $(CURDIR)
DEPS		:= $(SRC)/tools/deps.sh
CACHE_DIR	?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/mirvol
export CACHE_DIR

# KDIR is found when a recipe uses it, never when the Makefile is read:
# "deps" may install the headers after that (a first run).  An empty KDIR,
# from the command line or the environment, counts as unset.  It is not
# exported: the targets that run scripts after deps pass it themselves.
ifeq ($(strip $(KDIR)),)
override KDIR = $(shell d=/lib/modules/$$(uname -r)/build; \
	if [ -d "$$d" ]; then echo "$$d"; else \
	ls -d /usr/src/linux-headers-6.12.*-amd64 2>/dev/null | sort -V | tail -n 1; fi)
endif
KVER		= $(shell cat $(KDIR)/include/config/kernel.release 2>/dev/null)
unexport KDIR

PREFIX		?= /usr/local
SBINDIR		?= $(PREFIX)/sbin
MANDIR		?= $(PREFIX)/share/man
INCLUDEDIR	?= /usr/include
UDEVRULESDIR	?= $(shell pkg-config --variable=udevdir udev 2>/dev/null || echo /lib/udev)/rules.d
SYSTEMDUNITDIR	?= $(shell pkg-config --variable=systemdsystemunitdir systemd 2>/dev/null || \
		   echo /lib/systemd/system)
UDEVRULES	:= 63-mirvol-volume.rules 69-mirvol.rules
UNITS		:= mirvol-last-resort@.timer mirvol-last-resort@.service \
		   mirvol-monitor.service

TOOL		:= tools/mirvolctl/mirvolctl

.PHONY: all deps module tool testprogs check check-debug kunit vmtest lint demo bench \
	install install-module install-tools uninstall clean help torture deb

# Only builds: never installs packages (check, demo and bench run deps).
all: module tool testprogs

help:
	@sed -n '3,22p' Makefile | sed 's/^# \{0,1\}//'

deps:
	@$(DEPS)

module:
	@kdir='$(KDIR)'; test -n "$$kdir" -a -d "$$kdir" || { echo "no kernel headers (KDIR=$$kdir); run 'make deps' as root" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(SRC) modules

tool:
	$(MAKE) -C tools/mirvolctl

testprogs:
	$(MAKE) -C tools/testing/integration
	$(MAKE) -C tools/testing/crash

# Build with W=1 and sparse (C=2: every file) and fail on any diagnostic.
lint: deps
	@KDIR='$(KDIR)' $(SRC)/tools/testing/lint.sh

kunit: deps
	@$(SRC)/tools/testing/kunit/run-kunit.sh

vmtest: all
	@KDIR='$(KDIR)' $(SRC)/tools/testing/integration/run.sh

# deps first; KDIR is found only afterwards (check.sh builds in a sub-make).
check: deps
	@KDIR='$(KDIR)' $(SRC)/tools/testing/check.sh

# The fault, race and lifetime tests on the debug kernel (README.md).
DEBUG_TESTS	?= 030-write-error 040-read-retry 075-remove-during-resync \
		   110-stop-assemble 112-member-unplugged 140-race 141-race \
		   142-race 143-add-offline 144-race 145-holders 146-race \
		   147-chaos

check-debug: all
	@KDIR='$(KDIR)' MVTEST_KERNEL=debug $(SRC)/tools/testing/integration/run.sh $(DEBUG_TESTS)

# The crash-point enumeration, the power cuts and the commands at random,
# with their large budgets (MVTEST_TORTURE=1, see README.md), and the DKMS
# package installed in a guest (about 12 minutes under TCG).
torture: all
	@DEB_BUILD_OPTIONS=nocheck $(SRC)/tools/mkdeb.sh $(SRC)/tools/testing/out/pkg/deb >/dev/null
	@KDIR='$(KDIR)' MVTEST_TORTURE=1 $(SRC)/tools/testing/integration/run.sh crash-points crash-maint power-cut chaos deb-dkms

# The build is a sub-make started after deps, which finds KDIR itself.
demo: deps
	@$(MAKE) --no-print-directory all
	@KDIR='$(KDIR)' $(SRC)/tools/testing/vm/demo.sh

bench: deps
	@$(MAKE) --no-print-directory all
	@KDIR='$(KDIR)' $(SRC)/tools/testing/bench/run.sh $(BENCH_ARGS)

install: all install-module install-tools

# The module alone, built for KDIR.
install-module: module
	$(MAKE) -C $(KDIR) M=$(SRC) $(if $(DESTDIR),INSTALL_MOD_PATH=$(DESTDIR)) modules_install
	depmod -a $(if $(DESTDIR),-b $(DESTDIR)) $(KVER)

# Everything but the module: the tool, its man page, the header, the udev
# rules and the units (@SBINDIR@ replaced).  debian/rules uses it.
install-tools: tool
	$(MAKE) -C tools/mirvolctl install DESTDIR=$(DESTDIR) SBINDIR=$(SBINDIR) MANDIR=$(MANDIR)
	install -D -m 0644 uapi/linux/mirvol.h $(DESTDIR)$(INCLUDEDIR)/linux/mirvol.h
	for r in $(UDEVRULES); do \
		install -D -m 0644 tools/udev/$$r $(DESTDIR)$(UDEVRULESDIR)/$$r && \
		sed -i 's|@SBINDIR@|$(SBINDIR)|g' $(DESTDIR)$(UDEVRULESDIR)/$$r || exit 1; \
	done
	for u in $(UNITS); do \
		install -D -m 0644 tools/systemd/$$u $(DESTDIR)$(SYSTEMDUNITDIR)/$$u && \
		sed -i 's|@SBINDIR@|$(SBINDIR)|g' $(DESTDIR)$(SYSTEMDUNITDIR)/$$u || exit 1; \
	done
	-test -n "$(DESTDIR)" || udevadm control --reload 2>/dev/null
	-test -n "$(DESTDIR)" || ! test -d /run/systemd/system || systemctl daemon-reload

uninstall:
	rm -f $(DESTDIR)/lib/modules/$(KVER)/updates/mirvol.ko*
	-depmod -a $(if $(DESTDIR),-b $(DESTDIR)) $(KVER)
	$(MAKE) -C tools/mirvolctl uninstall DESTDIR=$(DESTDIR) SBINDIR=$(SBINDIR) MANDIR=$(MANDIR)
	rm -f $(DESTDIR)$(INCLUDEDIR)/linux/mirvol.h
	rm -f $(addprefix $(DESTDIR)$(UDEVRULESDIR)/,$(UDEVRULES))
	rm -f $(addprefix $(DESTDIR)$(SYSTEMDUNITDIR)/,$(UNITS))

clean:
	-test -d "$(KDIR)" && $(MAKE) -C $(KDIR) M=$(SRC) clean
	$(MAKE) -C tools/mirvolctl clean
	$(MAKE) -C tools/testing/integration clean
	$(MAKE) -C tools/testing/crash clean
	rm -rf tools/testing/out

# The Debian packages (debian/), built in a copy of the tree: the .debs end
# in tools/testing/out/deb.
deb:
	@$(SRC)/tools/mkdeb.sh
