#pragma once
// Files beside a local image: <image>.meta (snf-image-creator style JSON
// whose "properties" object supplies default image properties) and
// <image>.sha256 (sha256sum output, or a bare hex digest).

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace imgdeploy {

/// The properties of <image_path>.meta, or an empty object when there is
/// no such file. Accepts {"properties": {...}} or a flat object.
nlohmann::json read_meta_properties(const std::string& image_path);

/// The digest of <image_path>.sha256 (lower case), or nullopt when absent.
std::optional<std::string> read_sha256_sidecar(const std::string& image_path);

}  // namespace imgdeploy
