#!/bin/bash
# extdump and ntfsdump: a partition image behind a 1 MiB preamble (an MBR
# with syslinux's boot code and one bootable partition at sector 2048),
# written last; compressed dumps too, whose size is only known at the end.
source "$(dirname "$0")/common.sh"
require_root

mbr_code=/usr/lib/syslinux/mbr/mbr.bin
[ -r $mbr_code ] || fail "syslinux-common is not installed ($mbr_code)"

step "an ext4 partition dump (zstd-compressed)"
mkdir -p "$T/root/etc"
echo "fsdump" > "$T/root/etc/hostname"
truncate -s 20M "$T/part.ext4"
mkfs.ext4 -q -F -d "$T/root" "$T/part.ext4"
zstd -q -c "$T/part.ext4" > "$T/images/part.ext4.zst"
for target in file loop; do
    dirty_disk "$T/disk" 32
    disk=$T/disk
    [ $target = loop ] && disk=$(new_loop "$T/disk")
    deploy "$disk" part.ext4.zst -O img_format=extdump 2>"$T/log" || { cat "$T/log"; fail "extdump onto $target"; }
    cmp -s -n 440 "$mbr_code" "$disk" || fail "boot code is not syslinux's mbr.bin"
    same_prefix "$T/part.ext4" "$disk" $((20 * MIB)) $MIB
    untouched_after "$disk" $((21 * MIB))
    json=$(sfdisk -J "$disk")
    "$PYTHON" - "$json" $((20 * MIB / 512)) 83 <<'PY' || fail "partition table: $json"
import json, sys
t = json.loads(sys.argv[1])["partitiontable"]
p = t["partitions"]
assert t["label"] == "dos" and len(p) == 1, t
assert p[0]["start"] == 2048 and p[0]["size"] == int(sys.argv[2]), p
assert p[0]["type"] == sys.argv[3] and p[0].get("bootable") is True, p
PY
    e2fsck -fn "$T/part.ext4" >/dev/null 2>&1 || fail "reference fs broken"
    dd if="$disk" bs=1M skip=1 count=20 status=none of="$T/check.ext4"
    e2fsck -fn "$T/check.ext4" >/dev/null 2>&1 || fail "deployed file system does not check clean"
done

step "an NTFS partition dump of an odd size: type 07, size rounded up to whole sectors"
head -c $((5 * MIB + 100)) /dev/urandom > "$T/part.ntfs"
cp "$T/part.ntfs" "$T/images/win.ntfs"
dirty_disk "$T/disk" 16
deploy "$T/disk" win.ntfs -O img_format=ntfsdump 2>"$T/log" || { cat "$T/log"; fail "ntfsdump"; }
same_prefix "$T/part.ntfs" "$T/disk" $((5 * MIB + 100)) $MIB
"$PYTHON" - "$(sfdisk -J "$T/disk")" $(((5 * MIB + 100 + 511) / 512)) 7 <<'PY' || fail "ntfs partition table"
import json, sys
p = json.loads(sys.argv[1])["partitiontable"]["partitions"]
assert p[0]["start"] == 2048 and p[0]["size"] == int(sys.argv[2]) and p[0]["type"] == sys.argv[3], p
PY

step "a partition dump larger than the disk minus the preamble is refused"
dirty_disk "$T/disk" 20
expect_error 'larger than disk' deploy "$T/disk" part.ext4.zst -O img_format=extdump
no_leftovers
echo PASS
