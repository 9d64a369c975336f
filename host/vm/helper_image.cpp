#include "host/vm/helper_image.hpp"

#include "common/error.hpp"
#include "common/helper_protocol.hpp"
#include "common/syscalls.hpp"

#include <nlohmann/json.hpp>

namespace imgdeploy {

namespace {

const char* k_rebuild = "; run imgdeploy-build-helper";

nlohmann::json read_manifest(const std::string& path) {
    if (!sys::stat_if_exists(path)) {
        throw Error("the helper image is not installed (no " + path + ")" + k_rebuild);
    }
    try {
        return nlohmann::json::parse(sys::read_file(path));
    } catch (const nlohmann::json::exception& e) {
        throw Error("the helper image manifest " + path + " is not valid JSON (" + e.what() + ")" +
                    k_rebuild);
    }
}

std::string field(const nlohmann::json& doc, const char* name, const std::string& path) {
    auto it = doc.find(name);
    if (it == doc.end() || !it->is_string()) {
        throw Error("the helper image manifest " + path + " has no string field '" + name + "'" +
                    k_rebuild);
    }
    return it->get<std::string>();
}

/// The helper's files must be there and be regular files.
void check_file(const std::string& path) {
    auto st = sys::stat_if_exists(path);
    if (!st || !S_ISREG(st->st_mode)) {
        throw Error("the helper image is incomplete: " + path + " is missing" + k_rebuild);
    }
}

}  // namespace

HelperImage load_helper_image(const std::string& dir) {
    std::string path = dir + "/manifest.json";
    nlohmann::json doc = read_manifest(path);
    if (!doc.is_object()) {
        throw Error("the helper image manifest " + path + " is not a JSON object" + k_rebuild);
    }
    HelperImage image;
    image.dir = dir;
    auto version = doc.find("protocol_version");
    if (version == doc.end() || !version->is_number_integer()) {
        throw Error("the helper image manifest " + path + " has no protocol_version" + k_rebuild);
    }
    image.protocol_version = version->get<int>();
    if (image.protocol_version != k_helper_protocol_version) {
        throw Error("the helper image in " + dir + " was built for helper protocol " +
                    std::to_string(image.protocol_version) + ", this imgdeploy speaks " +
                    std::to_string(k_helper_protocol_version) + k_rebuild);
    }
    std::string format = field(doc, "kernel_format", path);
    auto kernel_format = parse_kernel_format(format);
    if (!kernel_format) {
        throw Error("the helper image manifest " + path + ": unknown kernel_format '" +
                    format.substr(0, 40) + "'" + k_rebuild);
    }
    image.kernel_format = *kernel_format;
    image.kernel_version = field(doc, "kernel_version", path);
    image.imgdeploy_version = field(doc, "imgdeploy_version", path);
    image.kernel = dir + "/kernel";
    image.initramfs = dir + "/initramfs";
    check_file(image.kernel);
    check_file(image.initramfs);
    return image;
}

}  // namespace imgdeploy
