#include "tasks/lib/bsd/disklabel.hpp"

#include <algorithm>

#include "common/error.hpp"

namespace imgdeploy::tasks::bsd {

namespace {

// struct disklabel offsets shared by OpenBSD and NetBSD (4.4BSD layout).
constexpr size_t o_magic = 0, o_ncylinders = 52, o_secpercyl = 56, o_secperunit = 60;
constexpr size_t o_obsd_uid = 64, o_bstarth = 76, o_bendh = 78, o_bstart = 80, o_bend = 84;
constexpr size_t o_secperunith = 112, o_version = 114;
constexpr size_t o_magic2 = 132, o_checksum = 136, o_npartitions = 138, o_partitions = 148;
constexpr size_t k_partition_size = 16, k_max_partitions = 22;
// partition: p_size 0, p_offset 4, OpenBSD p_offseth 8, p_sizeh 10, p_fstype 12.
constexpr uint8_t k_fs_swap = 1;

uint16_t get16(const std::string& b, size_t o) {
    return uint16_t(uint8_t(b[o]) | uint8_t(b[o + 1]) << 8);
}
uint32_t get32(const std::string& b, size_t o) {
    return uint32_t(get16(b, o)) | uint32_t(get16(b, o + 2)) << 16;
}
void put16(std::string& b, size_t o, uint16_t v) {
    b[o] = char(v & 0xff);
    b[o + 1] = char(v >> 8);
}
void put32(std::string& b, size_t o, uint32_t v) {
    put16(b, o, uint16_t(v & 0xffff));
    put16(b, o + 2, uint16_t(v >> 16));
}

std::vector<MbrSlice> parse_mbr(const std::string& head) {
    if (head.size() < 512 || uint8_t(head[510]) != 0x55 || uint8_t(head[511]) != 0xaa) {
        throw Error("no MBR (boot signature 55aa missing in sector 0)");
    }
    std::vector<MbrSlice> out;
    for (unsigned i = 0; i < 4; ++i) {
        size_t e = 446 + 16 * i;
        MbrSlice s{i + 1, uint8_t(head[e + 4]), get32(head, e + 8), get32(head, e + 12)};
        if (s.type != 0 && s.size != 0) {
            out.push_back(s);
        }
    }
    return out;
}

const MbrSlice& bsd_slice(const std::vector<MbrSlice>& mbr) {
    for (const auto& s : mbr) {
        if (s.type == 0xa6 || s.type == 0xa9) {
            return s;
        }
    }
    throw Error("the MBR has no OpenBSD (a6) or NetBSD (a9) slice");
}

size_t label_bytes(const std::string& label) {
    return o_partitions + k_partition_size * get16(label, o_npartitions);
}

/// CHS of an LBA with the usual 255 heads x 63 sectors, clamped to 1023/254/63.
void put_chs(std::string& head, size_t o, uint64_t lba) {
    uint64_t c = lba / (255 * 63), h = (lba / 63) % 255, s = lba % 63 + 1;
    if (c > 1023) {
        c = 1023, h = 254, s = 63;
    }
    head[o] = char(h);
    head[o + 1] = char((s & 0x3f) | ((c >> 2) & 0xc0));
    head[o + 2] = char(c & 0xff);
}

} // namespace

uint64_t bsd_head_bytes(const std::string& mbr_sector) {
    MbrSlice s = bsd_slice(parse_mbr(mbr_sector));
    return (s.start + 2) * k_sector;
}

uint16_t disklabel_checksum(const std::string& label) {
    size_t end = label_bytes(label);
    uint16_t sum = 0;
    for (size_t o = 0; o + 1 < end; o += 2) {
        if (o != o_checksum) {
            sum ^= get16(label, o);
        }
    }
    return sum;
}

BsdDisk parse_bsd_disk(const std::string& head) {
    BsdDisk d;
    d.mbr = parse_mbr(head);
    d.slice = bsd_slice(d.mbr);
    d.flavor = d.slice.type == 0xa6 ? LabelFlavor::openbsd : LabelFlavor::netbsd;
    d.label_offset = (d.slice.start + 1) * k_sector;
    if (head.size() < d.label_offset + k_sector) {
        throw Error("the disk is too short to hold the disklabel of the BSD slice");
    }
    std::string label = head.substr(d.label_offset, k_sector);
    if (get32(label, o_magic) != k_disklabel_magic || get32(label, o_magic2) != k_disklabel_magic) {
        throw Error("no BSD disklabel in sector 1 of slice " + std::to_string(d.slice.number) +
                    " (bad magic)");
    }
    unsigned n = get16(label, o_npartitions);
    if (n == 0 || n > k_max_partitions) {
        throw Error("the BSD disklabel lists " + std::to_string(n) + " partitions");
    }
    if (disklabel_checksum(label) != get16(label, o_checksum)) {
        throw Error("the BSD disklabel's checksum is wrong (corrupt label)");
    }
    bool obsd = d.flavor == LabelFlavor::openbsd && get16(label, o_version) == 1;
    d.secperunit =
        get32(label, o_secperunit) + (obsd ? uint64_t(get16(label, o_secperunith)) << 32 : 0);
    if (d.flavor == LabelFlavor::openbsd) {
        d.bstart = get32(label, o_bstart) + (obsd ? uint64_t(get16(label, o_bstarth)) << 32 : 0);
        d.bend = get32(label, o_bend) + (obsd ? uint64_t(get16(label, o_bendh)) << 32 : 0);
    }
    for (unsigned i = 0; i < n; ++i) {
        size_t p = o_partitions + k_partition_size * i;
        BsdPartition part;
        part.letter = char('a' + i);
        part.size = get32(label, p);
        part.offset = get32(label, p + 4);
        if (obsd) {
            part.offset += uint64_t(get16(label, p + 8)) << 32;
            part.size += uint64_t(get16(label, p + 10)) << 32;
        }
        part.fstype = uint8_t(label[p + 12]);
        d.partitions.push_back(part);
    }
    return d;
}

std::vector<std::pair<char, unsigned>> linux_numbers(const BsdDisk& disk) {
    std::vector<std::pair<char, unsigned>> out;
    unsigned next = 5;
    uint64_t start = disk.slice.start, end = disk.slice.start + disk.slice.size;
    for (const auto& p : disk.partitions) {
        if (p.fstype == 0 || p.size == 0) {
            continue;
        }
        if (p.offset == start && p.size == disk.slice.size) {
            continue; // the whole slice, which the kernel has already
        }
        if (p.offset < start || p.offset + p.size > end) {
            continue; // outside the slice (the raw whole-disk partition)
        }
        out.emplace_back(p.letter, next++);
    }
    return out;
}

BsdGrowth grow_bsd_disk(std::string& head, uint64_t disk_sectors) {
    BsdDisk d = parse_bsd_disk(head);
    BsdGrowth g;
    for (const auto& s : d.mbr) {
        if (s.number != d.slice.number && s.start > d.slice.start) {
            throw Error("MBR slice " + std::to_string(s.number) +
                        " lies after the BSD slice: cannot grow it");
        }
    }
    uint64_t new_size = std::min<uint64_t>(disk_sectors - d.slice.start, 0xffffffffu);
    if (disk_sectors <= d.slice.start || new_size < d.slice.size) {
        throw Error("the disk (" + std::to_string(disk_sectors) +
                    " sectors) is smaller than the BSD slice");
    }
    uint64_t new_end = d.slice.start + new_size;
    size_t e = 446 + 16 * (d.slice.number - 1);
    if (new_size != d.slice.size) {
        put32(head, e + 12, uint32_t(new_size));
        put_chs(head, e + 5, new_end - 1);
        g.changes.push_back("MBR slice " + std::to_string(d.slice.number) + ": " +
                            std::to_string(d.slice.size) + " -> " + std::to_string(new_size) +
                            " sectors");
    }
    std::string label = head.substr(d.label_offset, k_sector);
    bool openbsd = d.flavor == LabelFlavor::openbsd;
    bool obsd48 = openbsd && get16(label, o_version) == 1;
    auto put48 = [&](size_t lo, size_t hi, uint64_t v) {
        if (!obsd48 && v > 0xffffffffu) {
            throw Error("the disklabel has no 48-bit fields for " + std::to_string(v) + " sectors");
        }
        put32(label, lo, uint32_t(v & 0xffffffffu));
        if (obsd48) {
            put16(label, hi, uint16_t(v >> 32));
        }
    };
    put48(o_secperunit, o_secperunith, disk_sectors);
    if (uint32_t spc = get32(label, o_secpercyl); spc != 0) {
        put32(label, o_ncylinders, uint32_t(std::min<uint64_t>(disk_sectors / spc, 0xffffffffu)));
    }
    if (openbsd) {
        put48(o_bend, o_bendh, new_end);
    }
    // The last partition in the slice (not a raw one covering the slice or the disk).
    const BsdPartition* last = nullptr;
    for (const auto& p : d.partitions) {
        bool raw = (p.offset == 0 && p.size == d.secperunit) ||
                   (p.offset == d.slice.start && p.size == d.slice.size) || p.letter == 'c' ||
                   (!openbsd && p.letter == 'd');
        if (p.fstype == 0 || p.size == 0 || raw) {
            continue;
        }
        if (last == nullptr || p.offset + p.size > last->offset + last->size) {
            last = &p;
        }
    }
    for (const auto& p : d.partitions) {
        size_t o = o_partitions + k_partition_size * size_t(p.letter - 'a');
        uint64_t size = p.size;
        if (openbsd && p.letter == 'c') {
            size = disk_sectors; // OpenBSD 'c': the whole disk
        } else if (!openbsd && p.letter == 'c') {
            size = new_size; // NetBSD/i386 'c': the NetBSD slice
        } else if (!openbsd && p.letter == 'd') {
            size = disk_sectors; // NetBSD/i386 'd': the whole disk
        } else if (&p == last && p.offset + p.size < new_end) {
            if (p.fstype == k_fs_swap) {
                g.changes.push_back(std::string("partition ") + p.letter + " is swap: not grown");
                continue;
            }
            size = new_end - p.offset;
        }
        if (size != p.size) {
            put48(o, o + 10, size);
            g.changes.push_back(std::string("disklabel partition ") + p.letter + ": " +
                                std::to_string(p.size) + " -> " + std::to_string(size) +
                                " sectors");
        }
    }
    put16(label, o_checksum, disklabel_checksum(label));
    g.changed = !g.changes.empty() || label != head.substr(d.label_offset, k_sector);
    head.replace(d.label_offset, k_sector, label);
    (void)o_obsd_uid;
    return g;
}

} // namespace imgdeploy::tasks::bsd
