#pragma once
// Assembling the final OS parameters and the image request from them:
//   variant defaults  <  OSP_* / -O flags  <  config_url document
// then validation (every problem at once) and the derived ImageRequest.

#include "host/config/config.hpp"
#include "host/ganeti/os_parameters.hpp"
#include "host/image/http_source.hpp"
#include "host/image/image_id.hpp"

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace imgdeploy {

HttpOptions http_options(const Config& config);

/// Applies variant defaults and the config_url document (when set), then
/// validates. Throws Error "invalid OS parameters: a; b" listing everything.
OsParameters resolve_parameters(const Config& config, const std::string& variant,
                                const OsParameters& given);

/// What to deploy, derived from validated parameters.
struct ImageRequest {
    ImageId id;
    ImageFormat format = ImageFormat::diskdump;
    /// Local images only: the resolved path (for sidecars and messages).
    std::optional<std::string> local_path;
    /// Lower-case hex digest to verify the fetched bytes against.
    std::optional<std::string> expected_sha256;
    std::string checksum_origin;  // "img_checksum" or the sidecar's path
    /// Merged properties, keys upper case: .meta < img_properties < inst_properties.
    nlohmann::json properties = nlohmann::json::object();
};

ImageRequest make_image_request(const Config& config, const OsParameters& params);

/// snf-image's boolean property test (unset is false).
bool property_is_true(const nlohmann::json& properties, const std::string& key);

}  // namespace imgdeploy
