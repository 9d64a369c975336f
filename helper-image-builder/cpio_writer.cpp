#include "helper-image-builder/cpio_writer.hpp"

#include "common/error.hpp"
#include "common/syscalls.hpp"

#include <cassert>
#include <cstdio>
#include <limits>

namespace imgdeploy::builder {

namespace {

constexpr size_t k_flush_at = size_t{1} << 20;

void append_hex8(std::string& out, uint64_t value) {
    char buf[9];
    std::snprintf(buf, sizeof buf, "%08X", static_cast<unsigned>(value));
    out.append(buf, 8);
}

}  // namespace

CpioWriter::CpioWriter(int fd, std::string what) : m_fd(fd), m_what(std::move(what)) {}

void CpioWriter::write(std::string_view bytes) {
    m_buffer.append(bytes);
    m_hash.update(bytes.data(), bytes.size());
    m_offset += bytes.size();
    if (m_buffer.size() >= k_flush_at) {
        sys::write_full(m_fd, m_buffer.data(), m_buffer.size(), m_what);
        m_buffer.clear();
    }
}

void CpioWriter::pad(uint64_t alignment) {
    static const char zeros[512] = {};
    uint64_t rest = m_offset % alignment;
    if (rest != 0) {
        write(std::string_view(zeros, alignment - rest));
    }
}

void CpioWriter::write_header(const CpioEntry& e, uint32_t ino, uint64_t size) {
    if (size > std::numeric_limits<uint32_t>::max()) {
        throw Error(m_what + ": " + e.name + " is too large for a cpio newc archive");
    }
    std::string h = "070701";
    for (uint64_t field : {uint64_t{ino}, uint64_t{e.mode}, uint64_t{e.uid}, uint64_t{e.gid}, uint64_t{e.nlink},
                           uint64_t{e.mtime}, size, uint64_t{0}, uint64_t{0}, uint64_t{e.rdev_major},
                           uint64_t{e.rdev_minor}, uint64_t{e.name.size() + 1}, uint64_t{0}}) {
        append_hex8(h, field);  // ino mode uid gid nlink mtime filesize devmajor devminor rdevmajor rdevminor namesize check
    }
    write(h);
    write(std::string_view(e.name.c_str(), e.name.size() + 1));
    pad(4);
}

void CpioWriter::add(const CpioEntry& entry, std::string_view data) {
    assert(!m_finished);
    write_header(entry, m_next_ino++, data.size());
    write(data);
    pad(4);
}

void CpioWriter::finish() {
    assert(!m_finished);
    CpioEntry trailer;
    trailer.name = "TRAILER!!!";
    write_header(trailer, 0, 0);
    pad(512);
    sys::write_full(m_fd, m_buffer.data(), m_buffer.size(), m_what);
    m_buffer.clear();
    m_finished = true;
}

}  // namespace imgdeploy::builder
