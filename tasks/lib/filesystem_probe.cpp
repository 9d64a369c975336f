#include "tasks/lib/filesystem_probe.hpp"

#include "common/error.hpp"

#include <blkid/blkid.h>
#include <cerrno>

namespace imgdeploy::tasks {

namespace {

/// Owns one blkid_probe.
class BlkidProbe {
  public:
    explicit BlkidProbe(const std::string& device) : m_probe(blkid_new_probe_from_filename(device.c_str())) {
        if (m_probe == nullptr) {
            throw SystemError(device, "blkid_new_probe_from_filename", errno ? errno : EIO);
        }
    }
    BlkidProbe(const BlkidProbe&) = delete;
    BlkidProbe& operator=(const BlkidProbe&) = delete;
    ~BlkidProbe() { blkid_free_probe(m_probe); }
    blkid_probe get() const { return m_probe; }

    std::string value(const char* name) const {
        const char* data = nullptr;
        size_t len = 0;
        if (blkid_probe_lookup_value(m_probe, name, &data, &len) != 0 || data == nullptr) {
            return "";
        }
        return std::string(data, len > 0 && data[len - 1] == '\0' ? len - 1 : len);
    }

  private:
    blkid_probe m_probe;
};

}  // namespace

std::optional<FilesystemInfo> probe_filesystem(const std::string& device) {
    BlkidProbe probe(device);
    blkid_probe_enable_superblocks(probe.get(), 1);
    blkid_probe_set_superblocks_flags(probe.get(), BLKID_SUBLKS_TYPE | BLKID_SUBLKS_UUID | BLKID_SUBLKS_LABEL);
    int rc = blkid_do_safeprobe(probe.get());
    if (rc == 1) {
        return std::nullopt;
    }
    if (rc == -2) {
        throw Error(device + ": signatures of more than one file system found");
    }
    if (rc != 0) {
        throw Error(device + ": cannot probe for a file system");
    }
    return FilesystemInfo{probe.value("TYPE"), probe.value("UUID"), probe.value("LABEL")};
}

bool is_ext_filesystem(const std::string& type) {
    return type == "ext2" || type == "ext3" || type == "ext4" || type == "ext4dev";
}

}  // namespace imgdeploy::tasks
