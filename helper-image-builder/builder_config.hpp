#pragma once
// The one setting imgdeploy-build-helper takes from the imgdeploy config
// (imgdeploy.yaml(5)): helper.dir, the default output directory. Only that
// key is read, so the builder does not depend on host/; the host checks
// the whole file when it runs.

#include <string>

namespace imgdeploy::builder {

inline constexpr const char* k_default_helper_dir = "/var/lib/imgdeploy/helper";

/// helper.dir from the YAML config at `path`, or k_default_helper_dir when
/// the file or the key is absent. A missing file is an Error only when
/// `required` (an explicit --config or $IMGDEPLOY_CONFIG). Errors name the
/// file and, for YAML trouble, the line.
std::string helper_dir_from_config(const std::string& path, bool required);

}  // namespace imgdeploy::builder
