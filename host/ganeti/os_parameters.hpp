#pragma once
// The OS parameters (snf-image's twelve plus img_checksum), their
// descriptions for parameters.list, and validation that reports every
// problem at once. Values are never put into messages for secret ones.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace imgdeploy {

struct OsParameterSpec {
    const char* name;         // lower case, as in parameters.list
    const char* description;  // one line
    bool secret;              // never printed (passwords, keys, user-data)
};

/// Every parameter imgdeploy accepts, in parameters.list order.
const std::vector<OsParameterSpec>& os_parameter_specs();
const OsParameterSpec* find_os_parameter(const std::string& name);

/// OS parameter values by lower-case name. "Unset" and "set but empty" are
/// distinct (snf-image keeps them apart too).
class OsParameters {
  public:
    void set(const std::string& name, std::string value);
    std::optional<std::string> get(const std::string& name) const;
    bool has(const std::string& name) const { return m_values.count(name) != 0; }
    /// Sets every parameter of `defaults` that is not set here.
    void apply_defaults(const OsParameters& defaults);
    /// Overrides with every parameter of `other`.
    void override_with(const OsParameters& other);
    const std::map<std::string, std::string>& values() const { return m_values; }

  private:
    std::map<std::string, std::string> m_values;
};

/// Every problem with the parameters, each as one line naming the
/// parameter and why ("img_format: 'qcow2' is not one of diskdump, extdump,
/// ntfsdump"). Empty when all is well. The value of a secret parameter is
/// never part of a message. As in snf-image's verify, a non-empty
/// config_url skips every other check (the real values arrive later).
std::vector<std::string> validate_os_parameters(const OsParameters& params);

/// Image formats as in snf-image.
enum class ImageFormat { diskdump, extdump, ntfsdump };
/// Exact, case-sensitive match of "diskdump", "extdump" or "ntfsdump".
std::optional<ImageFormat> parse_image_format(const std::string& text);
const char* to_string(ImageFormat f);

/// Where an img_id points. `location` is the image name relative to
/// image_dir for ImageIdKind::local (local://NAME, a bare NAME, or the
/// deprecated file://NAME), the whole URL for ImageIdKind::url, and empty
/// for ImageIdKind::null.
enum class ImageIdKind { null, local, url };
struct ImageId {
    ImageIdKind kind = ImageIdKind::null;
    std::string location;
    /// True for file://NAME, which snf-image deprecated in favour of local://.
    bool deprecated_file_scheme = false;
};

/// Parses an img_id (SNF-IMAGE-REFERENCE.md 3.1). A local name must be
/// relative, non-empty, without NUL, "." / ".." or empty components; a URL
/// (http, https, ftp, ftps; the scheme in any case) must name a host.
/// Throws Error ("img_id: unknown scheme 'xyz' ...") otherwise, including
/// for pithos:// and pithosmap://, which imgdeploy does not support.
ImageId parse_image_id(const std::string& img_id);

}  // namespace imgdeploy
