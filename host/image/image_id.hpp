#pragma once
// img_id resolution to a ByteSource (the syntax is parsed by
// parse_image_id in host/ganeti/os_parameters.hpp) (SNF-IMAGE-REFERENCE §3.1):
// `local://name`, a bare `name`, `file://name` (deprecated) -> a file under
// image_dir whose canonical path must stay inside image_dir; http(s)/ftp(s)
// URLs; `null`.

#include "host/ganeti/os_parameters.hpp"
#include "host/image/byte_source.hpp"
#include "host/image/http_source.hpp"

#include <memory>
#include <optional>
#include <string>

namespace imgdeploy {

/// A local image's canonical path, refused when it escapes image_dir
/// (".." or a symlink pointing outside) or is not a regular file.
std::string resolve_local_image(const std::string& image_dir, const std::string& name);

std::unique_ptr<ByteSource> open_image_source(const ImageId& id, const std::string& image_dir,
                                              const HttpOptions& http);

}  // namespace imgdeploy
