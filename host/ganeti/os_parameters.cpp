#include "host/ganeti/os_parameters.hpp"

#include "common/base64.hpp"
#include "common/error.hpp"
#include "common/strings.hpp"
#include "host/ganeti/quote.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <string_view>

namespace imgdeploy {

namespace {

using Problems = std::vector<std::string>;

constexpr std::string_view k_formats_text = "diskdump, extdump, ntfsdump";

// --- img_id ---------------------------------------------------------------

/// Checks the image name of local://NAME, file://NAME or a bare NAME. The
/// name is later resolved under image_dir, so it must stay inside it.
void check_local_name(std::string_view name, const std::string& img_id) {
    std::string prefix = "img_id: image name in " + quote_value(img_id);
    if (name.empty()) {
        throw Error(prefix + " is empty");
    }
    if (name.find('\0') != std::string_view::npos) {
        throw Error(prefix + " contains a NUL byte");
    }
    if (name.front() == '/') {
        throw Error(prefix + " must be relative to image_dir, not an absolute path");
    }
    for (const std::string& component : split(name, '/')) {
        if (component.empty()) {
            throw Error(prefix + " has an empty path component");
        }
        if (component == "." || component == "..") {
            throw Error(prefix + " must not contain a '" + component + "' path component");
        }
    }
}

/// A URL for a message: "user:password@" is dropped, then quoted.
std::string quote_url(std::string_view url) {
    size_t start = url.find("://");
    start = start == std::string_view::npos ? 0 : start + 3;
    size_t end = url.find_first_of("/?#", start);
    size_t at = url.substr(0, end).rfind('@');
    if (at != std::string_view::npos && at >= start) {
        return quote_value(std::string(url.substr(0, start)) + std::string(url.substr(at + 1)));
    }
    return quote_value(url);
}

/// Checks that an http/https/ftp/ftps URL (after "scheme:") names a host.
void check_url_rest(std::string_view rest, const std::string& img_id) {
    if (rest.substr(0, 2) != "//") {
        throw Error("img_id: " + quote_url(img_id) + " is not a URL (expected SCHEME://HOST/...)");
    }
    auto bad_char = [](unsigned char c) { return c <= 0x20 || c == 0x7f; };
    if (std::any_of(rest.begin(), rest.end(), bad_char)) {
        throw Error("img_id: URL " + quote_url(img_id) +
                    " contains whitespace or control characters");
    }
    std::string_view authority = rest.substr(2);
    authority = authority.substr(0, authority.find_first_of("/?#"));
    size_t at = authority.rfind('@');
    if (at != std::string_view::npos) {
        authority.remove_prefix(at + 1);
    }
    std::string_view host = authority;
    if (host.empty() || host.front() != '[') {
        host = host.substr(0, host.find(':'));
    }
    if (host.empty()) {
        throw Error("img_id: URL " + quote_url(img_id) + " has no host");
    }
}

void check_image_id(const OsParameters& params, Problems& out) {
    std::optional<std::string> img_id = params.get("img_id");
    if (!img_id || img_id->empty()) {
        out.emplace_back("img_id: required (the image to deploy) but not set");
        return;
    }
    try {
        parse_image_id(*img_id);
    } catch (const Error& e) {
        out.emplace_back(e.what());
    }
}

// --- JSON parameters --------------------------------------------------------

/// "line L, column C" of a 1-based byte position in `text`.
std::string text_position(const std::string& text, size_t byte) {
    size_t line = 1;
    size_t column = 1;
    size_t end = std::min(byte == 0 ? 0 : byte - 1, text.size());
    for (size_t i = 0; i < end; ++i) {
        if (text[i] == '\n') {
            ++line;
            column = 1;
        } else {
            ++column;
        }
    }
    return "line " + std::to_string(line) + ", column " + std::to_string(column);
}

/// Parses `text` as JSON; on failure adds a problem and returns nullopt.
/// For a secret parameter only the position is reported, because the
/// parser's own message quotes the text it read.
std::optional<nlohmann::json>
parse_json(const std::string& name, const std::string& text, bool secret, Problems& out) {
    try {
        return nlohmann::json::parse(text);
    } catch (const nlohmann::json::parse_error& e) {
        std::string problem =
            name + ": not valid JSON (syntax error at " + text_position(text, e.byte) + ")";
        if (!secret) {
            std::string detail = e.what();
            size_t bracket = detail.find("] ");
            if (detail.starts_with("[") && bracket != std::string::npos) {
                detail.erase(0, bracket + 2);
            }
            problem = name + ": not valid JSON: " + detail;
        }
        out.push_back(problem);
        return std::nullopt;
    }
}

void check_json_object(const OsParameters& params, const std::string& name, Problems& out) {
    std::optional<std::string> text = params.get(name);
    if (!text || text->empty()) {
        return;
    }
    const OsParameterSpec* spec = find_os_parameter(name);
    std::optional<nlohmann::json> j = parse_json(name, *text, spec && spec->secret, out);
    if (j && !j->is_object()) {
        out.push_back(name + ": expected a JSON object, got " + j->type_name());
    }
}

// --- img_personality --------------------------------------------------------

/// Checks that an optional member, when present, is a string.
void check_optional_string(const nlohmann::json& file,
                           const std::string& where,
                           const char* key,
                           Problems& out) {
    auto it = file.find(key);
    if (it != file.end() && !it->is_string()) {
        out.push_back(where + "." + key + ": expected a string, got " + it->type_name());
    }
}

void check_personality_path(const nlohmann::json& file, const std::string& where, Problems& out) {
    auto it = file.find("path");
    if (it == file.end()) {
        out.push_back(where + ".path: required");
        return;
    }
    if (!it->is_string()) {
        out.push_back(where + ".path: expected a string, got " + it->type_name());
        return;
    }
    const auto& path = it->get_ref<const std::string&>();
    if (path.empty() || path.front() != '/') {
        out.push_back(where + ".path: must be an absolute path");
    } else if (path.find('\0') != std::string::npos) {
        out.push_back(where + ".path: contains a NUL byte");
    }
}

void check_personality_contents(const nlohmann::json& file,
                                const std::string& where,
                                Problems& out) {
    auto it = file.find("contents");
    if (it == file.end()) {
        out.push_back(where + ".contents: required");
        return;
    }
    if (!it->is_string()) {
        out.push_back(where + ".contents: expected a string, got " + it->type_name());
        return;
    }
    if (!base64_decode(it->get_ref<const std::string&>())) {
        out.push_back(where + ".contents: not valid base64");
    }
}

void check_personality_mode(const nlohmann::json& file, const std::string& where, Problems& out) {
    auto it = file.find("mode");
    if (it == file.end()) {
        return;
    }
    bool ok = it->is_number_unsigned() && it->get<uint64_t>() <= 07777;
    if (!ok) {
        out.push_back(where + ".mode: expected an integer from 0 to 4095 (decimal), got " +
                      (it->is_number_integer() ? "an integer out of range"
                                               : std::string(it->type_name())));
    }
}

void check_personality(const OsParameters& params, Problems& out) {
    std::optional<std::string> text = params.get("img_personality");
    if (!text || text->empty()) {
        return;
    }
    std::optional<nlohmann::json> j = parse_json("img_personality", *text, true, out);
    if (!j) {
        return;
    }
    if (!j->is_array()) {
        out.push_back(std::string("img_personality: expected a JSON array, got ") +
                      j->type_name());
        return;
    }
    for (size_t i = 0; i < j->size(); ++i) {
        const nlohmann::json& file = (*j)[i];
        std::string where = "img_personality[" + std::to_string(i) + "]";
        if (!file.is_object()) {
            out.push_back(where + ": expected a JSON object, got " + file.type_name());
            continue;
        }
        check_personality_path(file, where, out);
        check_personality_contents(file, where, out);
        check_optional_string(file, where, "owner", out);
        check_optional_string(file, where, "group", out);
        check_personality_mode(file, where, out);
    }
}

// --- the other parameters -----------------------------------------------------

void check_format(const OsParameters& params, Problems& out) {
    std::optional<std::string> format = params.get("img_format");
    if (!format || format->empty()) {
        out.push_back("img_format: required (one of " + std::string(k_formats_text) +
                      ") but not set");
        return;
    }
    if (!parse_image_format(*format)) {
        out.push_back("img_format: " + quote_value(*format) + " is not one of " +
                      std::string(k_formats_text));
    }
}

void check_passwords(const OsParameters& params, Problems& out) {
    if (params.has("img_passwd") && params.has("img_passwd_hash")) {
        out.emplace_back("img_passwd and img_passwd_hash are mutually exclusive: set only one");
    }
}

void check_cloud_userdata(const OsParameters& params, Problems& out) {
    std::optional<std::string> text = params.get("cloud_userdata");
    if (text && !text->empty() && !base64_decode(*text)) {
        out.emplace_back("cloud_userdata: not valid base64");
    }
}

bool is_alnum(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0;
}

/// ^([a-zA-Z0-9]{5}-){4}[a-zA-Z0-9]{5}$, as in snf-image's verify.
bool is_product_key(std::string_view key) {
    if (key.size() != 29) {
        return false;
    }
    for (size_t i = 0; i < key.size(); ++i) {
        bool ok = i % 6 == 5 ? key[i] == '-' : is_alnum(key[i]);
        if (!ok) {
            return false;
        }
    }
    return true;
}

void check_product_key(const OsParameters& params, Problems& out) {
    std::optional<std::string> key = params.get("os_product_key");
    if (key && !is_product_key(*key)) {
        out.emplace_back("os_product_key: expected five groups of five letters or digits "
                         "separated by '-' (XXXXX-XXXXX-XXXXX-XXXXX-XXXXX)");
    }
}

/// ^(https?|ftps?|file)://.+ , as in snf-image's verify.
void check_answer_file(const OsParameters& params, Problems& out) {
    std::optional<std::string> url = params.get("os_answer_file");
    if (!url) {
        return;
    }
    static const std::array<std::string_view, 5> prefixes = {
        "http://", "https://", "ftp://", "ftps://", "file://"};
    for (std::string_view prefix : prefixes) {
        if (url->size() > prefix.size() && url->starts_with(prefix)) {
            return;
        }
    }
    out.push_back("os_answer_file: " + quote_url(*url) +
                  " is not an http://, https://, ftp://, ftps:// or file:// URL");
}

void check_checksum(const OsParameters& params, Problems& out) {
    std::optional<std::string> sum = params.get("img_checksum");
    if (!sum) {
        return;
    }
    constexpr std::string_view prefix = "sha256:";
    std::string_view digits = std::string_view(*sum).substr(std::min(sum->size(), prefix.size()));
    if (!sum->starts_with(prefix) || digits.size() != 64 || !is_hex(digits)) {
        out.push_back("img_checksum: expected sha256: followed by 64 hex digits, got " +
                      quote_value(*sum));
    }
}

}  // namespace

const std::vector<OsParameterSpec>& os_parameter_specs() {
    static const std::vector<OsParameterSpec> specs = {
        {"img_id",
         "Image to deploy: local://NAME or NAME (under image_dir), http(s)://URL, "
         "ftp(s)://URL, or null to keep the disk as it is",
         false},
        {"img_format", "Image format: diskdump, extdump or ntfsdump", false},
        {"img_passwd",
         "Password for the image's users (USERS property); excludes img_passwd_hash",
         true},
        {"img_passwd_hash",
         "Pre-hashed password written verbatim for the image's users; excludes img_passwd",
         true},
        {"auth_keys", "OpenSSH authorized_keys lines added for the image's users", false},
        {"img_properties",
         "JSON object of image properties (OSFAMILY, ROOT_PARTITION, USERS, ...)",
         false},
        {"inst_properties",
         "JSON object of instance properties overriding keys of img_properties",
         false},
        {"img_personality",
         "JSON array of files to inject: {path, contents (base64), owner, group, mode}",
         true},
        {"config_url", "URL of a JSON object of OS parameters that override the others", false},
        {"os_product_key", "Windows product key (XXXXX-XXXXX-XXXXX-XXXXX-XXXXX)", true},
        {"os_answer_file",
         "http(s)://, ftp(s):// or file:// URL of a Windows answer file (unattend.xml)",
         false},
        {"cloud_userdata", "Base64-encoded cloud-init user-data", true},
        {"img_checksum",
         "Expected image checksum, sha256:<64 hex digits>; a mismatch fails the deployment",
         false},
    };
    return specs;
}

const OsParameterSpec* find_os_parameter(const std::string& name) {
    for (const OsParameterSpec& spec : os_parameter_specs()) {
        if (name == spec.name) {
            return &spec;
        }
    }
    return nullptr;
}

void OsParameters::set(const std::string& name, std::string value) {
    m_values[name] = std::move(value);
}

std::optional<std::string> OsParameters::get(const std::string& name) const {
    auto it = m_values.find(name);
    if (it == m_values.end()) {
        return std::nullopt;
    }
    return it->second;
}

void OsParameters::apply_defaults(const OsParameters& defaults) {
    for (const auto& [name, value] : defaults.m_values) {
        m_values.emplace(name, value);
    }
}

void OsParameters::override_with(const OsParameters& other) {
    for (const auto& [name, value] : other.m_values) {
        m_values[name] = value;
    }
}

std::vector<std::string> validate_os_parameters(const OsParameters& params) {
    Problems out;
    std::optional<std::string> config_url = params.get("config_url");
    if (config_url && !config_url->empty()) {
        return out;
    }
    check_image_id(params, out);
    check_format(params, out);
    check_passwords(params, out);
    check_json_object(params, "img_properties", out);
    check_json_object(params, "inst_properties", out);
    check_personality(params, out);
    check_cloud_userdata(params, out);
    check_product_key(params, out);
    check_answer_file(params, out);
    check_checksum(params, out);
    return out;
}

std::optional<ImageFormat> parse_image_format(const std::string& text) {
    if (text == "diskdump") {
        return ImageFormat::diskdump;
    }
    if (text == "extdump") {
        return ImageFormat::extdump;
    }
    if (text == "ntfsdump") {
        return ImageFormat::ntfsdump;
    }
    return std::nullopt;
}

const char* to_string(ImageFormat f) {
    switch (f) {
    case ImageFormat::diskdump:
        return "diskdump";
    case ImageFormat::extdump:
        return "extdump";
    case ImageFormat::ntfsdump:
        return "ntfsdump";
    }
    return "unknown";
}

ImageId parse_image_id(const std::string& img_id) {
    if (img_id == "null") {
        return ImageId{ImageIdKind::null, "", false};
    }
    size_t colon = img_id.find(':');
    if (colon == std::string::npos) {
        check_local_name(img_id, img_id);
        return ImageId{ImageIdKind::local, img_id, false};
    }
    std::string scheme = to_lower(std::string_view(img_id).substr(0, colon));
    std::string_view rest = std::string_view(img_id).substr(colon + 1);
    if (scheme == "local" || scheme == "file") {
        if (rest.substr(0, 2) != "//") {
            throw Error("img_id: " + quote_value(img_id) + " is not a valid " + scheme +
                        ":// id (expected " + scheme + "://NAME)");
        }
        check_local_name(rest.substr(2), img_id);
        return ImageId{ImageIdKind::local, std::string(rest.substr(2)), scheme == "file"};
    }
    if (scheme == "http" || scheme == "https" || scheme == "ftp" || scheme == "ftps") {
        check_url_rest(rest, img_id);
        return ImageId{ImageIdKind::url, img_id, false};
    }
    if (scheme == "pithos" || scheme == "pithosmap") {
        throw Error("img_id: " + scheme + ":// images are not supported by imgdeploy");
    }
    throw Error("img_id: unknown scheme " + quote_value(scheme) +
                " (expected local://, file://, http://, https://, ftp://, ftps://, a bare "
                "image name or null)");
}

}  // namespace imgdeploy
