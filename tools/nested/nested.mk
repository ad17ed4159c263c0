# The nested environments' L1 (tools/nested/build.sh).
# Debian's kernel and busybox are fetched once (apt-get download, cached in
# build/nested/cache); QEMU is copied from this machine with its libraries;
# pvrun, pvhv and pvhv-asan are packed at their build/ paths.
NESTED := $(BUILD)/nested
NESTED_L1 := $(NESTED)/vmlinux $(NESTED)/base.cpio.gz $(NESTED)/busybox $(NESTED)/l1.txt
QEMU_BIN := $(firstword $(wildcard /usr/bin/qemu-system-x86_64))

$(NESTED)/l1.txt: tools/nested/build.sh tools/nested/init
	@$(if $(Q),echo "  NESTED  $(NESTED) (Debian's kernel and busybox)")
	$(Q)tools/nested/build.sh l1 $(NESTED)
$(filter-out $(NESTED)/l1.txt,$(NESTED_L1)): $(NESTED)/l1.txt

$(NESTED)/qemu.cpio.gz: tools/nested/build.sh $(NESTED)/l1.txt $(QEMU_BIN)
	@$(if $(Q),echo "  NESTED  $@")
	$(Q)tools/nested/build.sh qemu $(NESTED)

NESTED_TOOLS := $(PVRUN) $(PVHV) $(PVHV_ASAN)
$(NESTED)/tools.cpio.gz: tools/nested/build.sh $(NESTED)/l1.txt $(NESTED_TOOLS)
	@$(if $(Q),echo "  NESTED  $@")
	$(Q)tools/nested/build.sh tools $(NESTED) $(NESTED_TOOLS)

.PHONY: nested
nested: $(NESTED_L1) $(NESTED)/qemu.cpio.gz $(NESTED)/tools.cpio.gz $(PVK)
