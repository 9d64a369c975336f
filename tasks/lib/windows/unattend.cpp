#include "tasks/lib/windows/unattend.hpp"

#include <algorithm>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>

#include "common/error.hpp"
#include "common/strings.hpp"

namespace imgdeploy::tasks::windows {

namespace {

constexpr const char* k_wcm_ns = "http://schemas.microsoft.com/WMIConfig/2002/State";
constexpr const char* k_xsi_ns = "http://www.w3.org/2001/XMLSchema-instance";

const xmlChar* x(const char* s) {
    return reinterpret_cast<const xmlChar*>(s);
}

std::string text_of(const xmlChar* s) {
    return s ? std::string(reinterpret_cast<const char*>(s)) : std::string();
}

bool is_element(const xmlNode* n, std::string_view name) {
    return n->type == XML_ELEMENT_NODE && text_of(n->name) == name;
}

std::string attribute(const xmlNode* n, const char* name) {
    xmlChar* v = xmlGetProp(n, x(name));
    std::string out = text_of(v);
    xmlFree(v);
    return out;
}

std::vector<xmlNode*> children_named(xmlNode* parent, std::string_view name) {
    std::vector<xmlNode*> out;
    for (xmlNode* c = parent->children; c != nullptr; c = c->next) {
        if (is_element(c, name)) {
            out.push_back(c);
        }
    }
    return out;
}

xmlNode* child_named(xmlNode* parent, std::string_view name, bool create) {
    auto found = children_named(parent, name);
    if (!found.empty()) {
        return found.front();
    }
    if (!create) {
        return nullptr;
    }
    return xmlNewChild(parent, parent->ns, x(std::string(name).c_str()), nullptr);
}

std::string content(xmlNode* n) {
    xmlChar* c = xmlNodeGetContent(n);
    std::string out = text_of(c);
    xmlFree(c);
    return std::string(trim(out));
}

void set_content(xmlNode* n, std::string_view value) {
    // xmlNodeSetContent takes entity-encoded text; encode it first.
    xmlChar* encoded = xmlEncodeSpecialChars(n->doc, x(std::string(value).c_str()));
    xmlNodeSetContent(n, encoded);
    xmlFree(encoded);
}

std::string last_xml_error() {
    const xmlError* e = xmlGetLastError();
    if (e == nullptr || e->message == nullptr) {
        return "not well-formed XML";
    }
    std::string m(e->message);
    while (!m.empty() && (m.back() == '\n' || m.back() == ' ')) {
        m.pop_back();
    }
    return "line " + std::to_string(e->line) + ": " + m;
}

} // namespace

UnattendXml::UnattendXml(std::string_view text, std::string where) : m_where(std::move(where)) {
    xmlResetLastError();
    m_doc = xmlReadMemory(text.data(),
                          static_cast<int>(text.size()),
                          "unattend.xml",
                          nullptr,
                          XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (m_doc == nullptr) {
        throw Error(m_where + ": " + last_xml_error());
    }
    xmlNode* root = xmlDocGetRootElement(m_doc);
    if (root == nullptr || !is_element(root, "unattend")) {
        xmlFreeDoc(m_doc);
        m_doc = nullptr;
        throw Error(m_where + ": the root element is not <unattend>");
    }
}

UnattendXml::~UnattendXml() {
    if (m_doc != nullptr) {
        xmlFreeDoc(m_doc);
    }
}

xmlNode* UnattendXml::settings_node(std::string_view pass, bool create) {
    xmlNode* root = xmlDocGetRootElement(m_doc);
    for (xmlNode* s : children_named(root, "settings")) {
        if (attribute(s, "pass") == pass) {
            return s;
        }
    }
    if (!create) {
        return nullptr;
    }
    xmlNode* s = xmlNewChild(root, root->ns, x("settings"), nullptr);
    xmlSetProp(s, x("pass"), x(std::string(pass).c_str()));
    return s;
}

std::vector<xmlNode*> UnattendXml::components(std::string_view pass,
                                              std::string_view component) const {
    std::vector<xmlNode*> out;
    xmlNode* root = xmlDocGetRootElement(m_doc);
    for (xmlNode* s : children_named(root, "settings")) {
        if (attribute(s, "pass") != pass) {
            continue;
        }
        for (xmlNode* c : children_named(s, "component")) {
            if (attribute(c, "name") == component) {
                out.push_back(c);
            }
        }
    }
    return out;
}

xmlNode*
UnattendXml::new_component(xmlNode* settings, std::string_view component, std::string_view arch) {
    xmlNode* c = xmlNewChild(settings, settings->ns, x("component"), nullptr);
    xmlSetProp(c, x("name"), x(std::string(component).c_str()));
    xmlSetProp(c, x("processorArchitecture"), x(std::string(arch).c_str()));
    xmlSetProp(c, x("publicKeyToken"), x("31bf3856ad364e35"));
    xmlSetProp(c, x("language"), x("neutral"));
    xmlSetProp(c, x("versionScope"), x("nonSxS"));
    if (xmlSearchNsByHref(m_doc, c, x(k_wcm_ns)) == nullptr) {
        xmlNewNs(c, x(k_wcm_ns), x("wcm"));
    }
    if (xmlSearchNsByHref(m_doc, c, x(k_xsi_ns)) == nullptr) {
        xmlNewNs(c, x(k_xsi_ns), x("xsi"));
    }
    return c;
}

void UnattendXml::set_setting(std::string_view pass,
                              std::string_view component,
                              std::string_view path,
                              std::string_view value,
                              std::string_view arch) {
    auto comps = components(pass, component);
    if (comps.empty()) {
        comps.push_back(new_component(settings_node(pass, true), component, arch));
    }
    for (xmlNode* c : comps) {
        xmlNode* n = c;
        for (const auto& part : split(path, '/')) {
            n = child_named(n, part, true);
        }
        set_content(n, value);
    }
}

std::vector<std::string> UnattendXml::settings(std::string_view pass,
                                               std::string_view component,
                                               std::string_view path) const {
    std::vector<std::string> out;
    for (xmlNode* c : components(pass, component)) {
        xmlNode* n = c;
        for (const auto& part : split(path, '/')) {
            n = n ? child_named(n, part, false) : nullptr;
        }
        if (n != nullptr) {
            out.push_back(content(n));
        }
    }
    return out;
}

bool UnattendXml::add_synchronous_command(std::string_view command,
                                          std::string_view description,
                                          std::string_view arch) {
    auto comps = components("specialize", "Microsoft-Windows-Deployment");
    if (comps.empty()) {
        comps.push_back(
            new_component(settings_node("specialize", true), "Microsoft-Windows-Deployment", arch));
    }
    bool added = false;
    for (xmlNode* c : comps) {
        xmlNode* run = child_named(c, "RunSynchronous", true);
        long max_order = 0;
        bool present = false;
        for (xmlNode* cmd : children_named(run, "RunSynchronousCommand")) {
            xmlNode* order = child_named(cmd, "Order", false);
            if (order) {
                max_order = std::max(max_order, parse_i64(content(order)).value_or(0));
            }
            xmlNode* p = child_named(cmd, "Path", false);
            present = present || (p && iequals(content(p), command));
        }
        if (present) {
            continue;
        }
        xmlNode* cmd = xmlNewChild(run, run->ns, x("RunSynchronousCommand"), nullptr);
        xmlNs* wcm = xmlSearchNsByHref(m_doc, cmd, x(k_wcm_ns));
        if (wcm == nullptr) {
            wcm = xmlNewNs(c, x(k_wcm_ns), x("wcm"));
        }
        xmlSetNsProp(cmd, wcm, x("action"), x("add"));
        set_content(xmlNewChild(cmd, cmd->ns, x("Order"), nullptr), std::to_string(max_order + 1));
        set_content(xmlNewChild(cmd, cmd->ns, x("Path"), nullptr), command);
        set_content(xmlNewChild(cmd, cmd->ns, x("Description"), nullptr), description);
        added = true;
    }
    return added;
}

std::vector<std::string> UnattendXml::local_accounts() const {
    std::vector<std::string> out;
    for (xmlNode* c : components("oobeSystem", "Microsoft-Windows-Shell-Setup")) {
        xmlNode* ua = child_named(c, "UserAccounts", false);
        xmlNode* la = ua ? child_named(ua, "LocalAccounts", false) : nullptr;
        if (la == nullptr) {
            continue;
        }
        for (xmlNode* acc : children_named(la, "LocalAccount")) {
            if (xmlNode* name = child_named(acc, "Name", false)) {
                out.push_back(content(name));
            }
        }
    }
    return out;
}

std::string UnattendXml::serialize() const {
    xmlChar* buf = nullptr;
    int size = 0;
    xmlDocDumpFormatMemoryEnc(m_doc, &buf, &size, "UTF-8", 1);
    if (buf == nullptr) {
        throw Error(m_where + ": cannot serialize the XML");
    }
    std::string out(reinterpret_cast<const char*>(buf), size_t(size));
    xmlFree(buf);
    return out;
}

std::string default_unattend_xml() {
    std::string out = R"(<?xml version="1.0" encoding="utf-8"?>
<unattend xmlns="urn:schemas-microsoft-com:unattend">
)";
    const char* passes[] = {"specialize", "oobeSystem"};
    for (const char* pass : passes) {
        out += std::string("  <settings pass=\"") + pass + "\">\n";
        for (const char* arch : {"amd64", "x86"}) {
            std::string head = std::string("    <component name=\"Microsoft-Windows-Shell-Setup\" "
                                           "processorArchitecture=\"") +
                               arch +
                               "\" publicKeyToken=\"31bf3856ad364e35\" language=\"neutral\" "
                               "versionScope=\"nonSxS\" "
                               "xmlns:wcm=\"http://schemas.microsoft.com/WMIConfig/2002/State\" "
                               "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">\n";
            out += head;
            if (std::string(pass) == "specialize") {
                out += "      <ComputerName>*</ComputerName>\n"
                       "      <TimeZone>UTC</TimeZone>\n";
            } else {
                out += "      <OOBE>\n"
                       "        <HideEULAPage>true</HideEULAPage>\n"
                       "        <NetworkLocation>Other</NetworkLocation>\n"
                       "        <ProtectYourPC>1</ProtectYourPC>\n"
                       "      </OOBE>\n";
            }
            out += "    </component>\n";
            if (std::string(pass) == "oobeSystem") {
                out += std::string("    <component name=\"Microsoft-Windows-International-Core\" "
                                   "processorArchitecture=\"") +
                       arch +
                       "\" publicKeyToken=\"31bf3856ad364e35\" language=\"neutral\" "
                       "versionScope=\"nonSxS\">\n"
                       "      <InputLocale>en-US</InputLocale>\n"
                       "      <SystemLocale>en-US</SystemLocale>\n"
                       "      <UILanguage>en-US</UILanguage>\n"
                       "      <UserLocale>en-US</UserLocale>\n"
                       "    </component>\n";
            }
        }
        out += "  </settings>\n";
    }
    out += "</unattend>\n";
    return out;
}

} // namespace imgdeploy::tasks::windows
