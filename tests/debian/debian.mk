# tests/debian/debian.mk - the Debian packages (debian/) built, checked
# with lintian, installed in a clean Debian 12 root and used there: a
# program built against libmagpool-dev, GlusterFS with the packaged shim
# (tests/debian/run.sh; root, a git checkout, network to the Debian
# mirror).  Included from the top-level Makefile.am.
EXTRA_DIST += tests/debian/run.sh tests/debian/inside.sh tests/debroot.sh \
	tests/trixie/run.sh
check-debian:
	cd $(srcdir) && bash tests/debian/run.sh
.PHONY: check-debian
