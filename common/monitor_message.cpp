#include "common/monitor_message.hpp"

#include <chrono>
#include <cmath>
#include <nlohmann/json.hpp>

namespace imgdeploy::monitor {

namespace {

nlohmann::json base(const char* type) {
    using namespace std::chrono;
    double now = duration<double>(system_clock::now().time_since_epoch()).count();
    return nlohmann::json{{"type", type}, {"timestamp", now}};
}

}  // namespace

std::string info(const std::vector<std::string>& messages) {
    auto j = base("image-info");
    j["messages"] = messages;
    return j.dump();
}

std::string error(const std::vector<std::string>& messages) {
    auto j = base("image-error");
    j["messages"] = messages;
    return j.dump();
}

std::string copy_progress(uint64_t position, uint64_t total) {
    auto j = base("image-copy-progress");
    j["position"] = position;
    j["total"] = total;
    double pct = total == 0 ? 0.0 : 100.0 * static_cast<double>(position) / static_cast<double>(total);
    j["progress"] = std::round(pct * 100.0) / 100.0;
    return j.dump();
}

std::string helper_task(const std::string& subtype, const std::string& task) {
    auto j = base("image-helper");
    j["subtype"] = subtype;
    j["task"] = task;
    return j.dump();
}

std::string helper_message(const std::string& subtype, const std::string& text) {
    auto j = base("image-helper");
    j["subtype"] = subtype;
    j["messages"] = std::vector<std::string>{text};
    return j.dump();
}

}  // namespace imgdeploy::monitor
