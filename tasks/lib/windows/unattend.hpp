#pragma once
// Editing a Windows answer file (unattend.xml) with libxml2: settings of a
// component in a configuration pass, for every processor architecture the
// file has a copy of the component for (or the image's architecture when
// the component is missing), and RunSynchronousCommand entries.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

typedef struct _xmlDoc xmlDoc;
typedef struct _xmlNode xmlNode;

namespace imgdeploy::tasks::windows {

class UnattendXml {
  public:
    /// Parses the text (no network, no entities); throws Error naming
    /// `where` and libxml2's message when it is not well-formed, or when the
    /// root element is not <unattend>.
    UnattendXml(std::string_view text, std::string where);
    UnattendXml(const UnattendXml&) = delete;
    UnattendXml& operator=(const UnattendXml&) = delete;
    ~UnattendXml();

    /// Sets <settings pass=PASS>/<component name=COMPONENT>/<PATH...> to
    /// `value` in every copy of the component; a missing pass or component
    /// is created for `arch` (amd64, x86, arm64). `path` is slash-separated
    /// ("UserData/ProductKey/Key").
    void set_setting(std::string_view pass,
                     std::string_view component,
                     std::string_view path,
                     std::string_view value,
                     std::string_view arch);
    /// The values of that setting over the component's copies.
    std::vector<std::string>
    settings(std::string_view pass, std::string_view component, std::string_view path) const;
    /// Adds a RunSynchronousCommand (Microsoft-Windows-Deployment in the
    /// specialize pass) running `command` unless one with the same Path
    /// exists already; Order is one more than the largest there. Returns
    /// whether it was added.
    bool add_synchronous_command(std::string_view command,
                                 std::string_view description,
                                 std::string_view arch);
    /// The names of the LocalAccount entries of the oobeSystem pass
    /// (UserAccounts/LocalAccounts/LocalAccount/Name).
    std::vector<std::string> local_accounts() const;

    /// The document as UTF-8 text.
    std::string serialize() const;

  private:
    std::vector<xmlNode*> components(std::string_view pass, std::string_view component) const;
    xmlNode* settings_node(std::string_view pass, bool create);
    xmlNode* new_component(xmlNode* settings, std::string_view component, std::string_view arch);

    xmlDoc* m_doc = nullptr;
    std::string m_where;
};

/// The default answer file shipped with imgdeploy (snf-image's
/// unattend.xml.in, §5.9): ComputerName "*", UTC, en-US, EULA hidden, for
/// amd64 and x86.
std::string default_unattend_xml();

} // namespace imgdeploy::tasks::windows
