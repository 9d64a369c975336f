#pragma once
// os_answer_file (SNF-IMAGE-REFERENCE §2.2, §4.3): a Windows answer file
// fetched by the host (http, https, ftp, ftps, or file:// on the host) and
// put on the parameter floppy as unattend.xml and sysprep.inf (the same
// text: snf-image makes sysprep.inf a symlink to it). Giving it forces the
// image property IGNORE_UNATTEND=yes, so it wins over the image's own.

#include <vector>

#include "host/config/config.hpp"
#include "host/ganeti/os_parameters.hpp"
#include "host/vm/floppy.hpp"

namespace imgdeploy {

/// The largest answer file accepted (the floppy holds 1.44 MB in all).
inline constexpr size_t k_answer_file_max_bytes = 256u << 10;

/// The floppy files for os_answer_file; empty when it is not given.
/// Throws Error "os_answer_file <url>: <why>" (URL without credentials).
std::vector<FloppyFile> answer_file_floppy_files(const Config& config, const OsParameters& params);

} // namespace imgdeploy
