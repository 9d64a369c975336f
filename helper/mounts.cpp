#include "helper/mounts.hpp"

#include "common/strings.hpp"
#include "common/syscalls.hpp"

#include <algorithm>
#include <sys/mount.h>
#include <unistd.h>
#include <vector>

namespace imgdeploy {

int umount_all_under(const std::string& root) noexcept {
    try {
        std::vector<std::string> points;
        for (const auto& line : split(sys::read_file("/proc/self/mountinfo"), '\n')) {
            auto f = split_words(line);
            if (f.size() > 4 && (f[4] == root || f[4].rfind(root + "/", 0) == 0)) {
                points.push_back(f[4]);
            }
        }
        std::sort(points.begin(), points.end(), [](const auto& a, const auto& b) { return a.size() > b.size(); });
        ::sync();
        int failed = 0;
        for (const auto& p : points) {
            if (::umount2(p.c_str(), 0) != 0 && ::umount2(p.c_str(), MNT_DETACH) != 0) {
                ++failed;
            }
        }
        return failed;
    } catch (...) {
        return -1;
    }
}

}  // namespace imgdeploy
