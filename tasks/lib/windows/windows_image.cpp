#include "tasks/lib/windows/windows_image.hpp"

#include <cerrno>
#include <ctime>

#include <fcntl.h>
#include <stdio.h>

#include "common/error.hpp"
#include "common/strings.hpp"
#include "tasks/lib/windows/registry.hpp"

namespace imgdeploy::tasks::windows {

namespace {

constexpr std::string_view k_block_end = "rem imgdeploy: end";

} // namespace

bool is_windows(const TaskContext& ctx) {
    std::string f = ctx.env.os_family();
    return f == "windows" || f == "windows-legacy";
}

bool is_windows_legacy(const TaskContext& ctx) {
    return ctx.env.os_family() == "windows-legacy";
}

std::string image_architecture(const RootDir& root) {
    Hive system(root, k_system_hive, false);
    std::string ccs = system.current_control_set();
    auto arch = system.get_string(ccs + "\\Control\\Session Manager\\Environment",
                                  "PROCESSOR_ARCHITECTURE");
    if (!arch) {
        throw Error(std::string(k_system_hive) + ": no " + ccs +
                    "\\Control\\Session Manager\\Environment\\PROCESSOR_ARCHITECTURE");
    }
    std::string a = to_lower(*arch);
    if (a == "amd64" || a == "x86" || a == "arm64") {
        return a;
    }
    throw Error(std::string(k_system_hive) + ": unknown PROCESSOR_ARCHITECTURE '" + *arch + "'");
}

std::string active_unattend_path(const RootDir& root) {
    for (const char* p : {"/unattend.xml", "/autounattend.xml"}) {
        if (root.is_file(p)) {
            return p;
        }
    }
    throw Error(
        "the image has no /unattend.xml (35InstallUnattend installs one; was it excluded?)");
}

std::string crlf(std::string_view text) {
    std::string out;
    for (size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '\n' && (i == 0 || text[i - 1] != '\r')) {
            out += '\r';
        }
        out += text[i];
    }
    return out;
}

void write_text(const RootDir& root, const std::string& path, std::string_view text) {
    root.replace_file(path, crlf(text), root.attributes_or(path, {0644, 0, 0}));
}

std::string setup_complete_script(std::string_view existing) {
    std::string out =
        "@echo off\n"
        "rem imgdeploy: first-boot clean-up of the deployment (do not edit this block)\n"
        "echo XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX > " +
        std::string(k_password_script_win) +
        "\n"
        "del /Q /F " +
        std::string(k_password_script_win) +
        "\n"
        "del /Q /F " +
        std::string(k_extend_script_win) +
        "\n"
        "del /Q /F C:\\unattend.xml\n"
        "del /Q /F C:\\Windows\\Panther\\unattend.xml\n"
        "rmdir /S /Q C:\\Windows\\SnfScripts\n" +
        std::string(k_block_end) + "\n";
    if (!trim(existing).empty()) {
        out += "rem the image's own SetupComplete.cmd:\n" + std::string(existing);
        if (existing.back() != '\n') {
            out += "\n";
        }
    }
    return crlf(out);
}

void add_setup_complete_lines(const RootDir& root, const std::vector<std::string>& lines) {
    auto text = root.read_file(k_setup_complete);
    if (!text) {
        throw Error(std::string("the image has no ") + k_setup_complete +
                    " (made by 35InstallUnattend)");
    }
    auto pos = text->find(k_block_end);
    if (pos == std::string::npos) {
        throw Error(std::string(k_setup_complete) +
                    " has no imgdeploy block (made by 35InstallUnattend)");
    }
    std::string added;
    for (const auto& l : lines) {
        if (text->find(l) == std::string::npos) {
            added += l + "\n";
        }
    }
    text->insert(pos, crlf(added));
    write_text(root, k_setup_complete, *text);
}

std::string cmd_quote(std::string_view value, std::string_view what) {
    std::string out = "\"";
    for (char c : value) {
        auto u = static_cast<unsigned char>(c);
        if (c == '"' || u < 0x20 || u == 0x7f) {
            throw Error(std::string(what) +
                        " holds a double quote or a control character, which cmd.exe cannot pass");
        }
        out += c == '%' ? "%%" : std::string(1, c);
    }
    if (!value.empty() && value.back() == '\\') {
        throw Error(std::string(what) +
                    " ends in a backslash, which cmd.exe cannot pass in quotes");
    }
    return out + "\"";
}

std::string backup_existing(const RootDir& root, const std::string& path) {
    auto st = root.lstat(path);
    if (!st) {
        return "";
    }
    auto [parent, name] = split_parent(path);
    UniqueFd dir = root.open(parent.empty() ? "/" : parent, O_PATH | O_DIRECTORY);
    std::string backup = name + ".bak." + std::to_string(std::time(nullptr));
    if (::renameat(dir.get(), name.c_str(), dir.get(), backup.c_str()) != 0) {
        throw SystemError(RootDir::image_path(path), "renameat", errno);
    }
    return backup;
}

} // namespace imgdeploy::tasks::windows
