#include "helper-image-builder/kernel_modules.hpp"

#include "common/error.hpp"
#include "common/strings.hpp"
#include "common/syscalls.hpp"
#include "common/compression/compression.hpp"

#include <algorithm>
#include <fnmatch.h>

namespace imgdeploy::builder {

namespace {

constexpr std::string_view k_compressed_suffixes[] = {".xz", ".zst", ".gz"};

std::string fold_dashes(std::string s) {
    std::replace(s.begin(), s.end(), '-', '_');
    return s;
}

bool ends_with(std::string_view s, std::string_view suffix) {
    return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> out;
    for (const std::string& line : split(text, '\n')) {
        std::string_view t = trim(line);
        if (!t.empty() && t[0] != '#') {
            out.emplace_back(t);
        }
    }
    return out;
}

std::string read_optional(const std::string& path) {
    return sys::stat_if_exists(path) ? sys::read_file(path) : std::string();
}

}  // namespace

std::string module_name(const std::string& path) {
    std::string base = path.substr(path.rfind('/') + 1);
    size_t dot = base.find(".ko");
    return fold_dashes(base.substr(0, dot));
}

std::string stored_module_path(const std::string& path) {
    for (std::string_view suffix : k_compressed_suffixes) {
        if (ends_with(path, std::string(".ko") + std::string(suffix))) {
            return path.substr(0, path.size() - suffix.size());
        }
    }
    return path;
}

std::string read_module(const std::string& file) {
    std::string data = sys::read_file(file);
    if (stored_module_path(file) == file) {
        return data;
    }
    Compression c = detect_compression(data);
    if (c == Compression::none) {
        throw Error(file + ": not compressed as its name says");
    }
    try {
        return decompress_first_stream(data, c);
    } catch (const Error& e) {
        throw Error(file + ": " + e.what());
    }
}

ModuleIndex ModuleIndex::load(const std::string& modules_dir) {
    DepmodFiles f;
    std::string dep = modules_dir + "/modules.dep";
    if (!sys::stat_if_exists(dep)) {
        throw Error("no " + dep + ": run 'depmod " + modules_dir.substr(modules_dir.rfind('/') + 1) + "'");
    }
    f.dep = sys::read_file(dep);
    f.builtin = read_optional(modules_dir + "/modules.builtin");
    f.builtin_modinfo = read_optional(modules_dir + "/modules.builtin.modinfo");
    f.softdep = read_optional(modules_dir + "/modules.softdep");
    f.alias = read_optional(modules_dir + "/modules.alias");
    return parse(f);
}

ModuleIndex ModuleIndex::parse(const DepmodFiles& files) {
    ModuleIndex index;
    for (const std::string& line : lines_of(files.dep)) {
        size_t colon = line.find(':');
        if (colon == std::string::npos) {
            continue;
        }
        std::string path = line.substr(0, colon);
        std::string name = module_name(path);
        index.m_path[name] = path;
        auto& deps = index.m_deps[name];
        for (const std::string& d : split_words(line.substr(colon + 1))) {
            deps.push_back(module_name(d));
        }
    }
    for (const std::string& line : lines_of(files.builtin)) {
        index.m_builtin.insert(module_name(line));
    }
    // modules.builtin.modinfo: NUL-separated "name.key=value" records.
    for (const std::string& rec : split(files.builtin_modinfo, '\0')) {
        size_t dot = rec.find('.');
        size_t eq = rec.find('=');
        if (dot == std::string::npos || eq == std::string::npos || dot > eq) {
            continue;
        }
        index.m_builtin.insert(fold_dashes(rec.substr(0, dot)));
        if (rec.compare(dot + 1, eq - dot - 1, "alias") == 0) {
            index.m_builtin.insert(rec.substr(eq + 1));
        }
    }
    for (const std::string& line : lines_of(files.softdep)) {
        std::vector<std::string> w = split_words(line);
        if (w.size() < 3 || w[0] != "softdep") {
            continue;
        }
        // Like kmod: words before the first "pre:"/"post:" are ignored.
        enum { none, pre, post } mode = none;
        for (size_t i = 2; i < w.size(); ++i) {
            if (w[i] == "pre:") {
                mode = pre;
            } else if (w[i] == "post:") {
                mode = post;
            } else if (mode == pre) {
                index.m_softdep_pre[fold_dashes(w[1])].push_back(w[i]);
            }
        }
    }
    for (const std::string& line : lines_of(files.alias)) {
        std::vector<std::string> w = split_words(line);
        if (w.size() == 3 && w[0] == "alias") {
            index.m_aliases.emplace_back(w[1], fold_dashes(w[2]));
        }
    }
    return index;
}

std::pair<ModuleIndex::Kind, std::vector<std::string>> ModuleIndex::lookup(const std::string& request) const {
    std::string name = fold_dashes(request);
    if (m_path.count(name)) {
        return {Kind::module, {name}};
    }
    if (m_builtin.count(name) || m_builtin.count(request)) {
        return {Kind::builtin, {}};
    }
    std::set<std::string> found;
    for (const auto& [pattern, target] : m_aliases) {
        if (m_path.count(target) && ::fnmatch(pattern.c_str(), request.c_str(), 0) == 0) {
            found.insert(target);
        }
    }
    std::vector<std::string> generic;
    std::copy_if(found.begin(), found.end(), std::back_inserter(generic),
                 [](const std::string& n) { return ends_with(n, "_generic"); });
    if (!generic.empty()) {
        return {Kind::module, generic};
    }
    if (found.empty()) {
        return {Kind::unknown, {}};
    }
    return {Kind::module, {found.begin(), found.end()}};
}

void ModuleIndex::visit(const std::string& name, std::set<std::string>& seen, std::vector<std::string>& out) const {
    if (!seen.insert(name).second) {
        return;
    }
    if (auto soft = m_softdep_pre.find(name); soft != m_softdep_pre.end()) {
        for (const std::string& request : soft->second) {
            for (const std::string& dep : lookup(request).second) {
                visit(dep, seen, out);
            }
        }
    }
    if (auto deps = m_deps.find(name); deps != m_deps.end()) {
        // depmod lists a module's users before what they use; walking the
        // list backwards keeps modprobe's load order among siblings.
        for (auto it = deps->second.rbegin(); it != deps->second.rend(); ++it) {
            if (m_path.count(*it)) {
                visit(*it, seen, out);
            }
        }
    }
    out.push_back(m_path.at(name));
}

ModuleSelection ModuleIndex::resolve(const std::vector<std::string>& names) const {
    ModuleSelection sel;
    std::set<std::string> seen;
    for (const std::string& request : names) {
        auto [kind, modules] = lookup(request);
        if (kind == Kind::builtin) {
            sel.builtin.push_back(request);
        } else if (kind == Kind::unknown) {
            sel.missing.push_back(request);
        }
        for (const std::string& m : modules) {
            visit(m, seen, sel.load_order);
        }
    }
    return sel;
}

}  // namespace imgdeploy::builder
