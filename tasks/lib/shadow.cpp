#include "tasks/lib/shadow.hpp"

#include "common/error.hpp"
#include "common/strings.hpp"

#include <ctime>

namespace imgdeploy::tasks {

std::string set_shadow_password(std::string_view shadow_text, std::string_view user, std::string_view hash,
                                int64_t days_since_epoch) {
    auto lines = split(shadow_text, '\n');
    bool found = false;
    for (auto& line : lines) {
        auto fields = split(line, ':');
        if (fields.empty() || fields[0] != user || found) {
            continue;
        }
        // name:password:lastchange:min:max:warn:inactive:expire:reserved
        while (fields.size() < 9) {
            fields.emplace_back();
        }
        fields[1] = std::string(hash);
        fields[2] = std::to_string(days_since_epoch);
        std::string rebuilt;
        for (size_t i = 0; i < fields.size(); ++i) {
            rebuilt += (i ? ":" : "") + fields[i];
        }
        line = rebuilt;
        found = true;
    }
    if (!found) {
        throw Error("user '" + std::string(user) + "' not in /etc/shadow");
    }
    std::string out;
    for (size_t i = 0; i < lines.size(); ++i) {
        out += (i ? "\n" : "") + lines[i];
    }
    return out;
}

int64_t days_since_epoch_now() { return static_cast<int64_t>(std::time(nullptr)) / 86400; }

}  // namespace imgdeploy::tasks
