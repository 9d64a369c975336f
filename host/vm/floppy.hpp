#pragma once
// The parameter floppy (DESIGN.md "Parameter channel"): a 1.44 MB FAT image
// holding params.json and optional extra files (unattend.xml, ...), made
// with mtools, never loop-mounted. It holds secrets (passwords, keys), so
// it is a 0600 temp file in the configured tmp_dir, removed when the
// ParameterFloppy goes away; the contents reach mcopy through a memfd, so
// no other copy ever touches a file system.

#include "common/temp_file.hpp"
#include "common/unique_fd.hpp"

#include <optional>
#include <string>
#include <vector>

namespace imgdeploy {

struct FloppyFile {
    std::string name;  // a plain 8.3-friendly file name, no '/'
    std::string content;
};

struct FloppySpec {
    std::string tmp_dir = "/tmp";
    std::string params_json;        // written as params.json
    std::vector<FloppyFile> extra;  // more files in the root directory
    /// Passed to mtools for reproducible timestamps, when set.
    std::optional<std::string> source_date_epoch;
};

class ParameterFloppy {
  public:
    /// Builds the image. Throws Error naming the mtools command and its
    /// message on failure (e.g. "Disk full" when the files do not fit).
    explicit ParameterFloppy(const FloppySpec& spec);

    const std::string& path() const { return m_file.path(); }
    /// An O_RDONLY fd on the finished image, for qemu (readonly=on).
    int read_only_fd() const { return m_read_only.get(); }

    static constexpr uint64_t k_size = 1474560;  // 2880 sectors of 512 bytes

  private:
    TempFile m_file;
    UniqueFd m_read_only;
};

}  // namespace imgdeploy
