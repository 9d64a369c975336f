#include "tasks/lib/bsd/master_passwd.hpp"

#include "common/error.hpp"
#include "common/strings.hpp"

namespace imgdeploy::tasks::bsd {

std::string
set_master_passwd_password(std::string_view text, std::string_view user, std::string_view hash) {
    std::string out;
    bool found = false;
    size_t pos = 0;
    while (pos < text.size()) {
        size_t nl = text.find('\n', pos);
        std::string_view line =
            text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
        pos = nl == std::string_view::npos ? text.size() : nl + 1;
        auto fields = split(line, ':');
        if (!found && !line.starts_with('#') && fields.size() >= 2 && fields[0] == user) {
            if (fields.size() != 10) {
                throw Error("/etc/master.passwd: the line of user '" + std::string(user) +
                            "' has " + std::to_string(fields.size()) + " fields, not 10");
            }
            fields[1] = std::string(hash);
            std::string rebuilt;
            for (size_t i = 0; i < fields.size(); ++i) {
                rebuilt += (i ? ":" : "") + fields[i];
            }
            out += rebuilt;
            found = true;
        } else {
            out += line;
        }
        if (nl != std::string_view::npos) {
            out += '\n';
        }
    }
    if (!found) {
        throw Error("user '" + std::string(user) + "' (from USERS) not in /etc/master.passwd");
    }
    return out;
}

std::string pwd_mkdb_rc_local(std::string_view saved) {
    std::string s = "#!/bin/sh\n"
                    "# imgdeploy: rebuild the password databases once at first boot\n"
                    "/usr/sbin/pwd_mkdb -p /etc/master.passwd\n";
    if (saved.empty()) {
        s += "rm -f /etc/rc.local\n";
    } else {
        s += "mv -f " + std::string(saved) + " /etc/rc.local\n. /etc/rc.local\n";
    }
    return s;
}

} // namespace imgdeploy::tasks::bsd
