#include "tasks/lib/swap.hpp"

#include "common/error.hpp"
#include "common/strings.hpp"
#include "tasks/lib/fstab.hpp"

namespace imgdeploy::tasks {

namespace {

std::optional<uint64_t> digits(std::string_view s) {
    if (s.empty() || s.size() > 12) {
        return std::nullopt;
    }
    for (char c : s) {
        if (c < '0' || c > '9') {
            return std::nullopt;
        }
    }
    return parse_u64(std::string(s));
}

}  // namespace

SwapSpec parse_swap(std::string_view value) {
    std::string shown(value.substr(0, 40));
    auto bad = [&](const std::string& why) { return Error("SWAP '" + shown + "': " + why); };
    std::string_view v = trim(value);
    SwapSpec spec;
    if (v.size() == 1 && v[0] >= 'a' && v[0] <= 'z') {
        if (v[0] == 'a') {
            throw bad("disk a is the image's own disk; give another disk (b, c, ...) or <partition>:<MB>");
        }
        spec.kind = SwapSpec::Kind::disk;
        spec.disk_index = static_cast<unsigned>(v[0] - 'a');
        return spec;
    }
    size_t colon = v.find(':');
    if (colon == std::string_view::npos) {
        throw bad("expected <partition number>:<size in MB> or a disk letter (b, c, ...)");
    }
    auto part = digits(v.substr(0, colon));
    auto mib = digits(v.substr(colon + 1));
    if (!part || !mib) {
        throw bad("expected <partition number>:<size in MB> or a disk letter (b, c, ...)");
    }
    if (*part == 0 || *part > k_swap_max_partition) {
        throw bad("partition number must be from 1 to " + std::to_string(k_swap_max_partition));
    }
    if (*mib == 0 || *mib > k_swap_max_mib) {
        throw bad("size must be from 1 to " + std::to_string(k_swap_max_mib) + " MB");
    }
    spec.partition = static_cast<unsigned>(*part);
    spec.mib = *mib;
    return spec;
}

std::string describe_swap(const SwapSpec& spec) {
    if (spec.kind == SwapSpec::Kind::disk) {
        return std::string(1, static_cast<char>('a' + spec.disk_index));
    }
    return std::to_string(spec.partition) + ":" + std::to_string(spec.mib);
}

std::string add_swap_to_fstab(std::string_view fstab, const std::string& uuid,
                              const std::optional<std::string>& old_uuid) {
    std::string out;
    for (const auto& line : split(fstab, '\n')) {
        auto fields = split_words(line);
        bool ours = false;
        if (!fields.empty() && fields[0][0] != '#') {
            auto ref = device_reference(fields[0]);
            ours = ref && ref->kind == DeviceRef::Kind::uuid &&
                   (iequals(ref->value, uuid) || (old_uuid && iequals(ref->value, *old_uuid)));
        }
        if (!ours) {
            out += line + "\n";
        }
    }
    // split() yields a last empty piece for text ending in a newline.
    while (out.size() >= 2 && out.ends_with("\n\n")) {
        out.pop_back();
    }
    if (out == "\n") {
        out.clear();
    }
    out += "UUID=" + uuid + " none swap sw 0 0\n";
    return out;
}

}  // namespace imgdeploy::tasks
