#include "common/helper_protocol.hpp"

#include "common/error.hpp"

namespace imgdeploy {

nlohmann::json to_json(const HelperParams& p) {
    return nlohmann::json{
        {"version", p.version},
        {"hostname", p.hostname},
        {"image_type", p.image_type},
        {"hypervisor", p.hypervisor},
        {"devices", p.devices},
        {"optional", p.optional},
        {"properties", p.properties},
        {"nics", p.nics},
        {"dhcp_tags", p.dhcp_tags},
        {"stateful_dhcpv6_tags", p.stateful_dhcpv6_tags},
        {"stateless_dhcpv6_tags", p.stateless_dhcpv6_tags},
        {"default_nic_config", p.default_nic_config},
        {"task_timeout_s", p.task_timeout_s},
        {"files", p.files},
    };
}

HelperParams helper_params_from_json(const nlohmann::json& doc) {
    if (!doc.is_object()) {
        throw Error("params.json: expected a JSON object");
    }
    HelperParams p;
    try {
        p.version = doc.at("version").get<int>();
        if (p.version != k_helper_protocol_version) {
            throw Error("params.json: protocol version " + std::to_string(p.version) +
                        ", this helper speaks " + std::to_string(k_helper_protocol_version));
        }
        p.hostname = doc.at("hostname").get<std::string>();
        p.image_type = doc.at("image_type").get<std::string>();
        p.hypervisor = doc.at("hypervisor").get<std::string>();
        p.devices = doc.at("devices").get<std::vector<std::string>>();
        p.optional = doc.at("optional").get<std::map<std::string, std::string>>();
        p.properties = doc.at("properties").get<std::map<std::string, std::string>>();
        p.nics = doc.at("nics").get<std::map<std::string, std::string>>();
        p.dhcp_tags = doc.at("dhcp_tags").get<std::string>();
        p.stateful_dhcpv6_tags = doc.at("stateful_dhcpv6_tags").get<std::string>();
        p.stateless_dhcpv6_tags = doc.at("stateless_dhcpv6_tags").get<std::string>();
        p.default_nic_config = doc.at("default_nic_config").get<std::string>();
        p.task_timeout_s = doc.at("task_timeout_s").get<unsigned>();
        p.files = doc.at("files").get<std::vector<std::string>>();
    } catch (const nlohmann::json::exception& e) {
        throw Error(std::string("params.json: ") + e.what());
    }
    if (p.devices.empty()) {
        throw Error("params.json: no disks");
    }
    return p;
}

std::map<std::string, std::string> task_environment(const HelperParams& p) {
    std::map<std::string, std::string> env;
    env["HYPERVISOR"] = p.hypervisor;
    env["SNF_IMAGE_HOSTNAME"] = p.hostname;
    env["SNF_IMAGE_TYPE"] = p.image_type;
    env["SNF_IMAGE_DEV_COUNT"] = std::to_string(p.devices.size());
    for (size_t i = 0; i < p.devices.size(); ++i) {
        env["SNF_IMAGE_DEV_" + std::to_string(i)] = p.devices[i];
    }
    env["SNF_IMAGE_DEV"] = p.devices.front();
    for (const auto& [name, value] : p.optional) {
        env["SNF_IMAGE_" + name] = value;
    }
    for (const auto& [key, value] : p.properties) {
        env["SNF_IMAGE_PROPERTY_" + key] = value;
    }
    for (const auto& [name, value] : p.nics) {
        env["SNF_IMAGE_" + name] = value;
    }
    env["SNF_IMAGE_DHCP_TAGS"] = p.dhcp_tags;
    env["SNF_IMAGE_STATEFUL_DHCPV6_TAGS"] = p.stateful_dhcpv6_tags;
    env["SNF_IMAGE_STATELESS_DHCPV6_TAGS"] = p.stateless_dhcpv6_tags;
    env["SNF_IMAGE_DEFAULT_NIC_CONFIG"] = p.default_nic_config;
    return env;
}

}  // namespace imgdeploy
