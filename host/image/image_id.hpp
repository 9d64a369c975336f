#pragma once
// img_id parsing and resolution to a ByteSource (SNF-IMAGE-REFERENCE §3.1):
// `local://name`, a bare `name`, `file://name` (deprecated) -> a file under
// image_dir whose canonical path must stay inside image_dir; http(s)/ftp(s)
// URLs; `null`.

#include "host/image/byte_source.hpp"
#include "host/image/http_source.hpp"

#include <memory>
#include <optional>
#include <string>

namespace imgdeploy {

struct ImageId {
    enum class Kind { local, url, null } kind = Kind::null;
    /// local: the name under image_dir; url: the URL.
    std::string location;
    bool deprecated_file_scheme = false;
};

/// Parses the syntax only; throws Error explaining what is wrong.
ImageId parse_image_id(const std::string& img_id);

/// A local image's canonical path, refused when it escapes image_dir
/// (".." or a symlink pointing outside) or is not a regular file.
std::string resolve_local_image(const std::string& image_dir, const std::string& name);

std::unique_ptr<ByteSource> open_image_source(const ImageId& id, const std::string& image_dir,
                                              const HttpOptions& http);

}  // namespace imgdeploy
