# gluster/gluster.mk - glusterfsd rebuilt from Debian's GlusterFS (10.3 or 11.1)
# source with magpool inside (magpool-glusterfsd(8)).  Root, and Debian
# bookworm with glusterfs-common 10.3 or trixie with 11.1; the first run
# fetches the source and the build dependencies with apt.
EXTRA_DIST += gluster/glusterfsd.sh
dist_man_MANS += man/magpool-glusterfsd.8
GLUSTERFSD_OUT = $(abs_builddir)/gluster
if HAVE_GLUSTERFS
glusterfsd: libmagpool-gluster.a
	PKG_CONFIG_PATH=$(abs_builddir)$${PKG_CONFIG_PATH:+:$$PKG_CONFIG_PATH} \
	$(SHELL) $(srcdir)/gluster/glusterfsd.sh build $(GLUSTERFSD_OUT)

install-glusterfsd:
	$(SHELL) $(srcdir)/gluster/glusterfsd.sh install $(GLUSTERFSD_OUT)/glusterfsd-magpool

uninstall-glusterfsd:
	$(SHELL) $(srcdir)/gluster/glusterfsd.sh uninstall
else
glusterfsd install-glusterfsd uninstall-glusterfsd:
	@echo "$@: GlusterFS headers not found (libglusterfs-dev); run ./bootstrap" >&2
	@exit 1
endif
.PHONY: glusterfsd install-glusterfsd uninstall-glusterfsd

clean-local: clean-glusterfsd
clean-glusterfsd:
	rm -f $(GLUSTERFSD_OUT)/glusterfsd-stock $(GLUSTERFSD_OUT)/glusterfsd-magpool \
	  $(GLUSTERFSD_OUT)/*.tmp $(GLUSTERFSD_OUT)/glusterfs-tcmalloc
.PHONY: clean-glusterfsd
