#include "helper-image-builder/builder_config.hpp"

#include "common/error.hpp"
#include "common/syscalls.hpp"

#include <yaml-cpp/yaml.h>

namespace imgdeploy::builder {

namespace {

std::string where(const std::string& path, const YAML::Mark& mark) {
    return mark.is_null() ? path : path + ":" + std::to_string(mark.line + 1);
}

}  // namespace

std::string helper_dir_from_config(const std::string& path, bool required) {
    if (!sys::stat_if_exists(path)) {
        if (required) {
            throw Error("config file " + path + " does not exist");
        }
        return k_default_helper_dir;
    }
    std::string text = sys::read_file(path);
    try {
        YAML::Node root = YAML::Load(text);
        if (!root.IsMap()) {
            return k_default_helper_dir;  // empty or "~": the defaults
        }
        YAML::Node helper = root["helper"];
        if (!helper || helper.IsNull()) {
            return k_default_helper_dir;
        }
        if (!helper.IsMap()) {
            throw Error(where(path, helper.Mark()) + ": helper: expected a mapping");
        }
        YAML::Node dir = helper["dir"];
        if (!dir || dir.IsNull()) {
            return k_default_helper_dir;
        }
        std::string value = dir.IsScalar() ? dir.as<std::string>() : "";
        if (value.empty() || value[0] != '/') {
            throw Error(where(path, dir.Mark()) + ": helper.dir: expected an absolute path");
        }
        return value;
    } catch (const YAML::Exception& e) {
        throw Error(where(path, e.mark) + ": " + e.msg);
    }
}

}  // namespace imgdeploy::builder
