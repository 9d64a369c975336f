#!/usr/bin/env python3
"""Writes a minimal valid Windows registry hive (regf): the 4 KiB header
with its checksum and one 4 KiB hbin holding the root key (nk), its
security descriptor (sk) and a free cell. hivex cannot create a hive from
nothing; tests add keys and values to this one with hivexsh -w.

usage: make-minimal-hive.py OUTPUT [ROOT_KEY_NAME]
"""
import struct
import sys


def cell(payload):
    size = (4 + len(payload) + 7) & ~7
    return struct.pack("<i", -size) + payload + b"\0" * (size - 4 - len(payload))


def main():
    out = sys.argv[1]
    root_name = (sys.argv[2] if len(sys.argv) > 2 else "ROOT").encode("ascii")
    nk_off = 0x20
    # Self-relative security descriptor: revision 1, control SE_SELF_RELATIVE, no owner/group/ACLs.
    sd = struct.pack("<BBHIIII", 1, 0, 0x8000, 0, 0, 0, 0)
    nk_payload_len = 0x4C + len(root_name)
    sk_off = nk_off + ((4 + nk_payload_len + 7) & ~7)
    nk = struct.pack(
        "<2sHQIIIIIIIIIIIIIIIHH",
        b"nk", 0x2C, 0, 0, 0xFFFFFFFF, 0, 0, 0xFFFFFFFF, 0xFFFFFFFF,
        0, 0xFFFFFFFF, sk_off, 0xFFFFFFFF, 0, 0, 0, 0, 0, len(root_name), 0,
    ) + root_name
    assert len(nk) == nk_payload_len
    sk = struct.pack("<2sHIIII", b"sk", 0, sk_off, sk_off, 1, len(sd)) + sd
    cells = cell(nk) + cell(sk)
    hbin_size = 0x1000
    free = hbin_size - 0x20 - len(cells)
    hbin = struct.pack("<4sIIQQI", b"hbin", 0, hbin_size, 0, 0, 0) + cells + struct.pack("<i", free) + b"\0" * (free - 4)
    assert len(hbin) == hbin_size
    header = bytearray(0x1000)
    struct.pack_into("<4sIIQIIIIII", header, 0, b"regf", 1, 1, 0, 1, 3, 0, 1, nk_off, hbin_size)
    struct.pack_into("<I", header, 0x2C, 1)  # clustering factor
    checksum = 0
    for (dword,) in struct.iter_unpack("<I", bytes(header[:0x1FC])):
        checksum ^= dword
    struct.pack_into("<I", header, 0x1FC, checksum)
    with open(out, "wb") as f:
        f.write(bytes(header) + hbin)


main()
