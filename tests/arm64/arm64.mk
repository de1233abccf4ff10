# tests/arm64/arm64.mk - this tree cross-built for arm64 and its unit
# tests run under qemu-aarch64, in an overlay of a clean Debian 12 root
# (tests/arm64/run.sh; root, a git checkout, network to the Debian
# mirror).  Included from the top-level Makefile.am.
EXTRA_DIST += tests/arm64/run.sh tests/arm64/inside.sh
check-arm64:
	cd $(srcdir) && bash tests/arm64/run.sh
.PHONY: check-arm64
