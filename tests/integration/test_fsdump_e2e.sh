#!/bin/bash
# extdump and ntfsdump end to end: `imgdeploy ganeti create` with Ganeti's
# environment, the real helper VM (TCG) built from the build tree, and the
# result checked on the host.
#  * extdump: the root file system of the cached Debian test image (shrunk
#    with resize2fs -M) behind the 1 MiB MBR preamble, customized like a
#    Linux diskdump (hostname, password, grown file system).
#  * ntfsdump: an NTFS made by mkntfs holding the Windows fixture tree
#    (tests/lib/make-windows-tree.sh), with os_answer_file (file://),
#    os_product_key and OFFLINE_NTFSRESIZE: 30MountImage (lowntfs-3g),
#    35InstallUnattend, 50AssignHostname, 50ChangePassword, 80 and 81
#    (ntfsresize) run in the helper.
source "$(dirname "$0")/common.sh"
require_root
build=$(dirname "$(dirname "$IMGDEPLOY")")
CACHE=${IMGDEPLOY_TEST_CACHE:-/var/cache/imgdeploy-tests}
for tool in qemu-system-x86_64 mmdebstrap mkntfs ntfs-3g ntfscat ntfsinfo hivexsh hivexget xmllint resize2fs; do
    command -v "$tool" >/dev/null || fail "$tool is not installed (./build.sh deps)"
done

chmod 755 "$T"  # the helper VM runs as nobody and reads the helper image
step "build the helper image from the build tree"
"$build/helper-image-builder/imgdeploy-build-helper" --output "$T/helper" \
    --helper-binary "$build/helper/imgdeploy-helper" --builtin-tasks "$build/tasks/bin" \
    --tasks-dir "$T/no-drop-ins" >"$T/build.log" 2>&1 || { cat "$T/build.log"; fail "imgdeploy-build-helper"; }
write_config "helper:" "  dir: $T/helper" "  soft_timeout_s: 300" "  memory_mib: 512"
PASSWORD='Fsdump-Pass%1'

# ganeti_create DISK IMG_ID NAME FORMAT [OSP_X=value...]
ganeti_create() {
    local disk=$1 id=$2 name=$3 format=$4
    shift 4
    (cd "$SRC/ganeti-os" && env -i PATH=/sbin:/bin:/usr/sbin:/usr/bin IMGDEPLOY_BIN="$IMGDEPLOY" \
        IMGDEPLOY_CONFIG="$IMGDEPLOY_CONFIG" OS_API_VERSION=20 OS_NAME=imgdeploy OS_VARIANT=default \
        DEBUG_LEVEL=0 INSTANCE_NAME="$name" HYPERVISOR=kvm INSTANCE_HV_disk_type=paravirtual \
        DISK_COUNT=1 DISK_0_PATH="$disk" DISK_0_ACCESS=rw DISK_0_BACKEND_TYPE=block \
        NIC_COUNT=1 NIC_0_MAC=aa:00:00:67:4d:8d NIC_0_MODE=bridged \
        OSP_IMG_ID="$id" OSP_IMG_FORMAT="$format" OSP_IMG_PASSWD="$PASSWORD" "$@" ./create)
}
MOUNTED=
e2e_cleanup() {
    local rc=$?
    [ -z "$MOUNTED" ] || umount "$MOUNTED"
    (exit $rc)
    cleanup
}
trap e2e_cleanup EXIT
timed_create() {
    local start
    start=$(date +%s.%N)
    ganeti_create "$@" >"$T/create.log" 2>&1 || { cat "$T/create.log"; fail "$4: create"; }
    echo "   create took $(awk "BEGIN { printf \"%.1f\", $(date +%s.%N) - $start }") s"
    grep -q 'Image customization finished successfully' "$T/create.log" || { cat "$T/create.log"; fail "$4: no success"; }
    grep -qF "$PASSWORD" "$T/create.log" && fail "$4: the password reached the log"
    true
}

step "extdump: the Debian root file system"
img=$CACHE/debian-mbr-ext4.img
[ -s "$img" ] || "$SRC/tests/lib/make-debian-image.sh" mbr-ext4 "$img" >/dev/null
read -r pstart psize < <(sfdisk -J "$img" | "$PYTHON" -c '
import json, sys; p = json.load(sys.stdin)["partitiontable"]["partitions"][0]; print(p["start"], p["size"])')
dd if="$img" of="$T/root.ext4" bs=1M iflag=skip_bytes,count_bytes skip=$((pstart * 512)) count=$((psize * 512)) \
    conv=sparse status=none
e2fsck -fy "$T/root.ext4" >/dev/null 2>&1 || true
resize2fs -M "$T/root.ext4" >/dev/null 2>&1 || fail "resize2fs -M of the extracted root"
blocks=$(dumpe2fs -h "$T/root.ext4" 2>/dev/null | awk -F': *' '/^Block count/ {c=$2} /^Block size/ {s=$2} END {print c * s}')
truncate -s "$blocks" "$T/root.ext4"
mv "$T/root.ext4" "$T/images/debian-root.ext4"
rm -f "$T/disk"; truncate -s 1536M "$T/disk"
dev=$(new_loop "$T/disk")
timed_create "$dev" debian-root.ext4 fsdump.example.org extdump
partx -a "$dev" 2>/dev/null || partx -u "$dev"
mkdir -p "$T/mnt"
mount -o ro "${dev}p1" "$T/mnt"
MOUNTED=$T/mnt
[ "$(cat "$T/mnt/etc/hostname")" = fsdump.example.org ] || fail "extdump: /etc/hostname"
hash=$(awk -F: '$1 == "root" {print $2}' "$T/mnt/etc/shadow")
[ "$(perl -e 'print crypt($ARGV[0], $ARGV[1])' "$PASSWORD" "$hash")" = "$hash" ] || fail "extdump: root password"
fs_bytes=$(df -B1 --output=size "$T/mnt" | tail -1)
[ "$fs_bytes" -gt $((1300 * MIB)) ] || fail "extdump: file system not grown ($fs_bytes bytes)"
umount "$T/mnt"
MOUNTED=
partx -d "$dev" 2>/dev/null || true

step "ntfsdump: a Windows fixture with os_answer_file and OFFLINE_NTFSRESIZE"
"$SRC/tests/lib/make-windows-tree.sh" "$T/wtree" >/dev/null
truncate -s 40M "$T/win.ntfs"
mkntfs -q -F -f -p 2048 -H 255 -S 63 "$T/win.ntfs" >/dev/null 2>&1 || fail "mkntfs"
mkdir -p "$T/wmnt"
ntfs-3g "$T/win.ntfs" "$T/wmnt" || fail "ntfs-3g"
cp -r "$T/wtree/." "$T/wmnt/"
umount "$T/wmnt"
sleep 1  # ntfs-3g lets go of the file a moment after umount returns
mv "$T/win.ntfs" "$T/images/win.ntfs"
printf '<?xml version="1.0"?>\n<unattend xmlns="urn:schemas-microsoft-com:unattend"><settings pass="specialize"><component name="Microsoft-Windows-Shell-Setup" processorArchitecture="amd64"><TimeZone>Answer TZ</TimeZone></component></settings></unattend>\n' \
    > "$T/answer.xml"
rm -f "$T/disk2"; truncate -s 128M "$T/disk2"
dev=$(new_loop "$T/disk2")
timed_create "$dev" win.ntfs winnode1 ntfsdump OSP_OS_ANSWER_FILE="file://$T/answer.xml" \
    OSP_OS_PRODUCT_KEY=ABCDE-12345-FGHIJ-67890-KLMNO \
    OSP_IMG_PROPERTIES='{"OFFLINE_NTFSRESIZE": "yes"}'
partx -a "$dev" 2>/dev/null || partx -u "$dev"
ncat() { ntfscat -f "${dev}p1" "$1" 2>/dev/null; }
ncat /unattend.xml > "$T/unattend.xml" || fail "ntfsdump: no /unattend.xml"
xp() { xmllint --xpath "$1" "$T/unattend.xml" 2>/dev/null; }
spec="//*[local-name()='settings'][@pass='specialize']/*[local-name()='component'][@name='Microsoft-Windows-Shell-Setup']"
[ "$(xp "string($spec/*[local-name()='TimeZone'])")" = "Answer TZ" ] || fail "ntfsdump: os_answer_file not used"
[ "$(xp "string($spec/*[local-name()='ComputerName'])")" = winnode1 ] || fail "ntfsdump: ComputerName"
[ "$(xp "string($spec/*[local-name()='ProductKey'])")" = ABCDE-12345-FGHIJ-67890-KLMNO ] || fail "ntfsdump: ProductKey"
ncat /Windows/SnfScripts/ChangeAdminPassword.cmd | tr -d '\r' | grep -qF 'net user "Administrator" "Fsdump-Pass%%1"' ||
    fail "ntfsdump: no password line"
ncat /Windows/System32/config/SYSTEM > "$T/SYSTEM"
[ "$(hivexget "$T/SYSTEM" '\ControlSet002\Control\Terminal Server' fDenyTSConnections)" = 1 ] || fail "ntfsdump: RDP not disabled"
part_bytes=$(blockdev --getsize64 "${dev}p1")
vol=$(ntfsinfo -m -f "${dev}p1" 2>/dev/null | awk -F': ' '/Volume Size in Clusters/ {c=$2} /Cluster Size/ {s=$2} END {print c * s}')
[ "$vol" -gt $((part_bytes - 2 * MIB)) ] || fail "ntfsdump: NTFS not grown by 81 ($vol of $part_bytes bytes)"
[ "$part_bytes" -gt $((120 * MIB)) ] || fail "ntfsdump: partition not grown ($part_bytes bytes)"
partx -d "$dev" 2>/dev/null || true
no_leftovers
echo PASS
