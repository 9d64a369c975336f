#include "host/ops/parameters.hpp"

#include "common/error.hpp"
#include "common/strings.hpp"
#include "host/image/sidecars.hpp"

#include <spdlog/spdlog.h>

namespace imgdeploy {

namespace {

constexpr size_t k_config_url_max_bytes = 1u << 20;

/// The config_url document: a JSON object of OS parameter names (any case).
OsParameters fetch_config_url(const Config& config, const std::string& url) {
    std::string text;
    try {
        text = http_fetch_small(url, http_options(config), k_config_url_max_bytes);
    } catch (const std::exception& e) {
        throw Error(std::string("config_url: ") + e.what());
    }
    auto doc = nlohmann::json::parse(text, nullptr, false);
    if (!doc.is_object()) {
        throw Error("config_url " + redact_url(url) + ": expected a JSON object of OS parameters");
    }
    OsParameters out;
    for (const auto& [key, value] : doc.items()) {
        std::string name = to_lower(key);
        if (find_os_parameter(name) == nullptr || name == "config_url") {
            throw Error("config_url " + redact_url(url) + ": unknown OS parameter '" + key + "'");
        }
        out.set(name, value.is_string() ? value.get<std::string>() : value.dump());
    }
    return out;
}

/// Upper-cases keys and stringifies values, as snf-image's decode-properties.
void merge_properties(nlohmann::json& into, const nlohmann::json& from) {
    for (const auto& [key, value] : from.items()) {
        into[to_upper(key)] = value.is_string() ? value.get<std::string>() : value.dump();
    }
}

nlohmann::json parse_object(const OsParameters& params, const char* name) {
    auto text = params.get(name);
    if (!text || trim(*text).empty()) {
        return nlohmann::json::object();
    }
    return nlohmann::json::parse(*text);  // validated already
}

}  // namespace

HttpOptions http_options(const Config& config) {
    return HttpOptions{config.http.connect_timeout_s, config.http.low_speed_timeout_s,
                       config.http.retries, config.http.ca_file};
}

OsParameters resolve_parameters(const Config& config, const std::string& variant,
                                const OsParameters& given) {
    OsParameters params = given;
    params.apply_defaults(load_variant_defaults(config, variant));
    if (auto url = params.get("config_url"); url && !url->empty()) {
        params.override_with(fetch_config_url(config, *url));
    }
    // Validate what will be used: without config_url, which makes the
    // validator skip every check (snf-image's verify does the same).
    OsParameters effective;
    for (const auto& [name, value] : params.values()) {
        if (name != "config_url") {
            effective.set(name, value);
        }
    }
    auto problems = validate_os_parameters(effective);
    if (!problems.empty()) {
        std::string msg = "invalid OS parameters: ";
        for (size_t i = 0; i < problems.size(); ++i) {
            msg += (i ? "; " : "") + problems[i];
        }
        throw Error(msg);
    }
    return params;
}

ImageRequest make_image_request(const Config& config, const OsParameters& params) {
    ImageRequest r;
    r.id = parse_image_id(params.get("img_id").value_or(""));
    r.format = parse_image_format(params.get("img_format").value_or("")).value_or(ImageFormat::diskdump);
    if (r.id.deprecated_file_scheme) {
        spdlog::warn("img_id: the file:// form is deprecated; use local://{}", r.id.location);
    }
    if (r.id.kind == ImageIdKind::local) {
        r.local_path = resolve_local_image(config.image_dir, r.id.location);
        merge_properties(r.properties, read_meta_properties(*r.local_path));
    }
    merge_properties(r.properties, parse_object(params, "img_properties"));
    merge_properties(r.properties, parse_object(params, "inst_properties"));
    if (auto sum = params.get("img_checksum"); sum && !sum->empty()) {
        r.expected_sha256 = to_lower(sum->substr(sum->find(':') + 1));
        r.checksum_origin = "img_checksum";
    } else if (r.local_path) {
        if (auto side = read_sha256_sidecar(*r.local_path)) {
            r.expected_sha256 = side;
            r.checksum_origin = *r.local_path + ".sha256";
        }
    }
    return r;
}

bool property_is_true(const nlohmann::json& properties, const std::string& key) {
    auto it = properties.find(to_upper(key));
    if (it == properties.end()) {
        return false;
    }
    return parse_yes_no(it->is_string() ? it->get<std::string>() : it->dump());
}

}  // namespace imgdeploy
