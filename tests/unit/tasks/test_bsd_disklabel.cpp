#include <cstring>

#include <catch2/catch.hpp>

#include "common/error.hpp"
#include "tasks/lib/bsd/bsd_tasks.hpp"
#include "tasks/lib/bsd/disklabel.hpp"
#include "tasks/lib/bsd/master_passwd.hpp"

using namespace imgdeploy;
using namespace imgdeploy::tasks::bsd;
using Catch::Matchers::Contains;

namespace {

void put16(std::string& b, size_t o, uint16_t v) {
    b[o] = char(v & 0xff);
    b[o + 1] = char(v >> 8);
}
void put32(std::string& b, size_t o, uint32_t v) {
    put16(b, o, uint16_t(v));
    put16(b, o + 2, uint16_t(v >> 16));
}
uint32_t get32(const std::string& b, size_t o) {
    uint32_t v = 0;
    std::memcpy(&v, b.data() + o, 4); // little-endian host
    return v;
}
uint16_t get16(const std::string& b, size_t o) {
    uint16_t v = 0;
    std::memcpy(&v, b.data() + o, 2);
    return v;
}

constexpr uint64_t k_start = 64;

struct Part {
    char letter;
    uint64_t offset, size;
    uint8_t fstype;
};

/// A disk head: MBR with the BSD slice [64, disk) and a label with `parts`.
std::string make_head(bool openbsd, uint64_t disk, const std::vector<Part>& parts) {
    std::string h((k_start + 2) * 512, '\0');
    size_t e = 446;
    h[e + 4] = char(openbsd ? 0xa6 : 0xa9);
    put32(h, e + 8, uint32_t(k_start));
    put32(h, e + 12, uint32_t(disk - k_start));
    h[510] = char(0x55);
    h[511] = char(0xaa);
    size_t l = (k_start + 1) * 512;
    std::string lab(512, '\0');
    put32(lab, 0, k_disklabel_magic);
    put32(lab, 56, 63 * 255);
    put32(lab, 60, uint32_t(disk));
    if (openbsd) {
        put32(lab, 80, uint32_t(k_start));
        put32(lab, 84, uint32_t(disk));
        put16(lab, 114, 1);
    }
    put32(lab, 132, k_disklabel_magic);
    put16(lab, 138, 16);
    for (const auto& p : parts) {
        size_t o = 148 + 16 * size_t(p.letter - 'a');
        put32(lab, o, uint32_t(p.size));
        put32(lab, o + 4, uint32_t(p.offset));
        if (openbsd) {
            put16(lab, o + 8, uint16_t(p.offset >> 32));
            put16(lab, o + 10, uint16_t(p.size >> 32));
        }
        lab[o + 12] = char(p.fstype);
    }
    put16(lab, 136, disklabel_checksum(lab));
    h.replace(l, 512, lab);
    return h;
}

std::string label_of(const std::string& h) {
    return h.substr((k_start + 1) * 512, 512);
}

} // namespace

TEST_CASE("the disklabel checksum is the xor of the label's words without d_checksum",
          "[bsd][disklabel]") {
    std::string lab(512, '\0');
    put16(lab, 138, 1); // 148 + 16 bytes
    put16(lab, 0, 0x1234);
    put16(lab, 150, 0x0f0f);
    put16(lab, 136, 0xffff); // ignored
    put16(lab, 200, 0xffff); // past the partition table: ignored
    CHECK(disklabel_checksum(lab) == (0x1234 ^ 0x0f0f ^ 1));
}

TEST_CASE("OpenBSD: slice, c, bend and the last partition grow; checksum fixed; idempotent",
          "[bsd][disklabel]") {
    uint64_t disk = 100000, grown = 300000;
    std::string h = make_head(true,
                              disk,
                              {{'a', 128, 20000, 7},
                               {'b', 20128, 4000, 1},
                               {'c', 0, disk, 0},
                               {'d', 24128, disk - 24128, 7}});
    BsdGrowth g = grow_bsd_disk(h, grown);
    CHECK(g.changed);
    BsdDisk d = parse_bsd_disk(h); // checksum verified here
    CHECK(d.slice.size == grown - k_start);
    CHECK(d.secperunit == grown);
    CHECK(d.bend == grown);
    CHECK(d.partitions[2].size == grown);
    CHECK(d.partitions[3].offset + d.partitions[3].size == grown);
    CHECK(d.partitions[0].size == 20000);
    CHECK(linux_numbers(d) == std::vector<std::pair<char, unsigned>>{{'a', 5}, {'b', 6}, {'d', 7}});
    std::string again = h;
    CHECK_FALSE(grow_bsd_disk(again, grown).changed);
    CHECK(again == h);
}

TEST_CASE("OpenBSD: 48-bit sizes use the high fields", "[bsd][disklabel]") {
    uint64_t disk = 100000, grown = (uint64_t(1) << 32) + 4096; // > 2 TiB
    std::string h = make_head(true, disk, {{'a', 128, disk - 128, 7}, {'c', 0, disk, 0}});
    grow_bsd_disk(h, grown);
    BsdDisk d = parse_bsd_disk(h);
    CHECK(d.secperunit == grown);
    CHECK(d.partitions[2].size == grown);
    // The MBR slice is capped at 2^32-1 sectors, the label goes on.
    CHECK(d.slice.size == 0xffffffffu);
    CHECK(d.partitions[0].offset + d.partitions[0].size == k_start + 0xffffffffu);
    std::string lab = label_of(h);
    CHECK(get16(lab, 112) == 1); // d_secperunith
}

TEST_CASE("NetBSD: c is the slice, d the disk; a swap partition at the end is not grown",
          "[bsd][disklabel]") {
    uint64_t disk = 100000, grown = 200000;
    std::string h = make_head(false,
                              disk,
                              {{'a', 128, 50000, 7},
                               {'b', 50128, disk - 50128, 1},
                               {'c', k_start, disk - k_start, 0},
                               {'d', 0, disk, 0}});
    BsdGrowth g = grow_bsd_disk(h, grown);
    BsdDisk d = parse_bsd_disk(h);
    CHECK(d.partitions[2].offset == k_start);
    CHECK(d.partitions[2].size == grown - k_start);
    CHECK(d.partitions[3].size == grown);
    CHECK(d.partitions[1].size == disk - 50128);
    CHECK(std::find(g.changes.begin(), g.changes.end(), "partition b is swap: not grown") !=
          g.changes.end());
    std::string lab = label_of(h);
    CHECK(get32(lab, 60) == grown);
}

TEST_CASE("bad disklabels are refused with the reason", "[bsd][disklabel]") {
    std::string h = make_head(true, 100000, {{'a', 128, 1000, 7}});
    std::string corrupt = h;
    corrupt[(k_start + 1) * 512 + 148] ^= 1; // a partition byte, checksum not updated
    CHECK_THROWS_WITH(parse_bsd_disk(corrupt), Contains("checksum"));
    std::string nomagic = h;
    nomagic[(k_start + 1) * 512] = 0;
    CHECK_THROWS_WITH(parse_bsd_disk(nomagic), Contains("bad magic"));
    std::string linux_mbr = h;
    linux_mbr[446 + 4] = char(0x83);
    CHECK_THROWS_WITH(parse_bsd_disk(linux_mbr), Contains("no OpenBSD (a6) or NetBSD (a9) slice"));
    CHECK_THROWS_WITH(grow_bsd_disk(h, 50000), Contains("smaller than the BSD slice"));
    std::string after = h;
    after[446 + 16 + 4] = char(0x83);
    put32(after, 446 + 16 + 8, 90000);
    put32(after, 446 + 16 + 12, 100);
    CHECK_THROWS_WITH(grow_bsd_disk(after, 200000), Contains("lies after the BSD slice"));
}

TEST_CASE("master.passwd: only the password field of the user changes", "[bsd][passwd]") {
    const char* text = "# comment\nroot:$2b$08$old:0:0:daemon:0:0:Charlie &:/root:/bin/ksh\n"
                       "alice:*:1000:1000::0:0:Alice:/home/alice:/bin/sh\n";
    std::string out = set_master_passwd_password(text, "alice", "$2b$10$new");
    CHECK(out == "# comment\nroot:$2b$08$old:0:0:daemon:0:0:Charlie &:/root:/bin/ksh\n"
                 "alice:$2b$10$new:1000:1000::0:0:Alice:/home/alice:/bin/sh\n");
    CHECK_THROWS_WITH(set_master_passwd_password(text, "bob", "h"),
                      Contains("user 'bob' (from USERS) not in"));
    CHECK_THROWS_WITH(set_master_passwd_password("bob:x:1:1:/home:/bin/sh\n", "bob", "secret-hash"),
                      Contains("has 6 fields, not 10"));
}

TEST_CASE("rc.local wrapper and rc.conf hostname", "[bsd][passwd][hostname]") {
    CHECK_THAT(pwd_mkdb_rc_local(""),
               Contains("pwd_mkdb -p /etc/master.passwd\nrm -f /etc/rc.local\n"));
    CHECK_THAT(pwd_mkdb_rc_local("/etc/rc.local.imgdeploy"),
               Contains("mv -f /etc/rc.local.imgdeploy /etc/rc.local\n. /etc/rc.local\n"));
    CHECK(set_rc_conf_hostname("a=1\nhostname=\"old\"\n", "new.example") ==
          "a=1\nhostname=\"new.example\"\n");
    CHECK(set_rc_conf_hostname("a=1", "n") == "a=1\nhostname=\"n\"\n");
}

TEST_CASE("the last partition grows even when it ended before the slice's end",
          "[bsd][disklabel]") {
    uint64_t disk = 100000, grown = 150000;
    std::string h =
        make_head(true, disk, {{'a', 128, 30000, 7}, {'c', 0, disk, 0}, {'e', 40000, 20000, 7}});
    grow_bsd_disk(h, grown);
    BsdDisk d = parse_bsd_disk(h);
    CHECK(d.partitions[4].offset == 40000);
    CHECK(d.partitions[4].size == grown - 40000);
    CHECK(d.partitions[0].size == 30000);
}
