#!/bin/bash
# make-windows-tree.sh DIR: the files of a sysprepped Windows root that the
# Windows tasks read and write, for fixture disks (no real Windows image can
# be had in CI): SYSTEM, SOFTWARE and SAM hives (a minimal regf from
# make-minimal-hive.py, keys and values added with hivexsh), an answer file
# and a user file. IMAGE_STATE (default IMAGE_STATE_GENERALIZE_RESEAL_TO_OOBE)
# is the sysprep state written to SOFTWARE.
set -euo pipefail
d=$1
here=$(dirname "$0")
cfg=$d/Windows/System32/config

# hive FILE COMMANDS: a minimal hive, then hivexsh -w commands (\n-separated).
hive() {
    /usr/bin/python3 "$here/make-minimal-hive.py" "$1"
    printf '%b\ncommit\n' "$2" | hivexsh -w "$1"
}

mkdir -p "$cfg" "$d/Windows/Setup/State" "$d/Users/Administrator"
hive "$cfg/SYSTEM" 'add Select\ncd Select\nsetval 1\nCurrent\ndword:0x2\ncd \\\nadd ControlSet001\nadd ControlSet002\ncd ControlSet002\nadd Control\ncd Control\nadd Session Manager\nadd Terminal Server\ncd Terminal Server\nsetval 1\nfDenyTSConnections\ndword:0x0\ncd ..\ncd Session Manager\nadd Environment\ncd Environment\nsetval 1\nPROCESSOR_ARCHITECTURE\nstring:AMD64'
hive "$cfg/SOFTWARE" 'add Microsoft\ncd Microsoft\nadd Windows NT\nadd Windows\ncd Windows NT\nadd CurrentVersion\ncd CurrentVersion\nsetval 2\nCurrentMajorVersionNumber\ndword:0xa\nCurrentVersion\nstring:6.3\ncd \\\ncd Microsoft\ncd Windows\nadd CurrentVersion\ncd CurrentVersion\nadd Setup\ncd Setup\nadd State\ncd State\nsetval 1\nImageState\nstring:'"${IMAGE_STATE:-IMAGE_STATE_GENERALIZE_RESEAL_TO_OOBE}"
hive "$cfg/SAM" 'add SAM\ncd SAM\nadd Domains\ncd Domains\nadd Account\ncd Account\nadd Users\ncd Users\nadd Names\ncd Names\nadd Administrator\nadd Guest'
# The image's own answer file (IGNORE_UNATTEND / os_answer_file replace it).
cat > "$d/unattend.xml" <<'XML'
<?xml version="1.0" encoding="utf-8"?>
<unattend xmlns="urn:schemas-microsoft-com:unattend"><settings pass="specialize"><component name="Microsoft-Windows-Shell-Setup" processorArchitecture="amd64"><TimeZone>Image TZ</TimeZone></component></settings></unattend>
XML
printf 'hello\r\n' > "$d/Users/Administrator/hello.txt"
