#include "host/ganeti/quote.hpp"

#include <cstdio>

namespace imgdeploy {

namespace {

void append_escaped(std::string& out, unsigned char c) {
    switch (c) {
    case '\n':
        out += "\\n";
        return;
    case '\t':
        out += "\\t";
        return;
    case '\r':
        out += "\\r";
        return;
    case '\\':
        out += "\\\\";
        return;
    case '\'':
        out += "\\'";
        return;
    default:
        break;
    }
    if (c < 0x20 || c >= 0x7f) {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\x%02x", c);
        out += buf;
        return;
    }
    out.push_back(static_cast<char>(c));
}

}  // namespace

std::string quote_value(std::string_view value, size_t max_chars) {
    std::string out = "'";
    size_t shown = value.size() > max_chars ? max_chars : value.size();
    for (size_t i = 0; i < shown; ++i) {
        append_escaped(out, static_cast<unsigned char>(value[i]));
    }
    if (shown < value.size()) {
        out += "...";
    }
    out += "'";
    return out;
}

}  // namespace imgdeploy
