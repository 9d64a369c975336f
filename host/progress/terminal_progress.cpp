#include "host/progress/terminal_progress.hpp"

#include "common/strings.hpp"

#include <cstdio>
#include <nlohmann/json.hpp>

namespace imgdeploy {

namespace {

std::string format_eta(double seconds) {
    auto s = static_cast<unsigned long>(seconds + 0.5);
    char buf[32];
    std::snprintf(buf, sizeof buf, "%lu:%02lu", s / 60, s % 60);
    return buf;
}

}  // namespace

std::string render_bar(uint64_t position, uint64_t total, double seconds, size_t width) {
    std::string out;
    double rate = seconds > 0 ? static_cast<double>(position) / seconds : 0;
    if (total > 0) {
        double frac = std::min(1.0, static_cast<double>(position) / static_cast<double>(total));
        auto filled = static_cast<size_t>(frac * static_cast<double>(width));
        out = "[" + std::string(filled, '=') + (filled < width ? ">" : "") +
              std::string(width - std::min(width, filled + 1), ' ') + "] ";
        char pct[16];
        std::snprintf(pct, sizeof pct, "%3d%%", static_cast<int>(frac * 100));
        out += pct;
        out += "  " + human_bytes(position) + " / " + human_bytes(total);
    } else {
        out = human_bytes(position);
    }
    out += "  " + human_bytes(static_cast<uint64_t>(rate)) + "/s";
    if (total > position && rate > 0) {
        out += "  ETA " + format_eta(static_cast<double>(total - position) / rate);
    }
    return out;
}

TerminalProgress::TerminalProgress() : m_start(std::chrono::steady_clock::now()) {}

void TerminalProgress::clear_line() {
    if (m_bar_shown) {
        std::fputs("\r\033[K", stderr);
        m_bar_shown = false;
    }
}

void TerminalProgress::info(const std::string& message) {
    clear_line();
    std::fprintf(stderr, "%s\n", message.c_str());
    if (message.rfind("Starting image copy", 0) == 0) {
        m_start = std::chrono::steady_clock::now();
    }
}

void TerminalProgress::copy_progress(uint64_t position, uint64_t total, bool final) {
    auto now = std::chrono::steady_clock::now();
    if (!final && now - m_last_draw < std::chrono::milliseconds(200)) {
        return;
    }
    m_last_draw = now;
    double secs = std::chrono::duration<double>(now - m_start).count();
    std::fprintf(stderr, "\r\033[K%s", render_bar(position, total, secs, 30).c_str());
    m_bar_shown = true;
    if (final) {
        std::fputs("\n", stderr);
        m_bar_shown = false;
    }
    std::fflush(stderr);
}

void TerminalProgress::error(const std::vector<std::string>&) {
    clear_line();  // the error line itself is printed by the top level
}

void TerminalProgress::helper_event(const std::string& json_line) {
    clear_line();
    auto j = nlohmann::json::parse(json_line, nullptr, false);
    if (j.is_object() && j.contains("task")) {
        std::fprintf(stderr, "helper: %s %s\n", j.value("subtype", "").c_str(),
                     j.value("task", "").c_str());
    }
}

}  // namespace imgdeploy
