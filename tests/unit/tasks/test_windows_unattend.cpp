#include <catch2/catch.hpp>

#include "common/error.hpp"
#include "tasks/lib/windows/unattend.hpp"

using namespace imgdeploy;
using namespace imgdeploy::tasks::windows;
using Catch::Matchers::Contains;

namespace {

const char* const k_image_unattend = R"(<?xml version="1.0" encoding="utf-8"?>
<unattend xmlns="urn:schemas-microsoft-com:unattend" xmlns:wcm="http://schemas.microsoft.com/WMIConfig/2002/State">
  <settings pass="specialize">
    <component name="Microsoft-Windows-Shell-Setup" processorArchitecture="amd64">
      <ComputerName>*</ComputerName>
    </component>
    <component name="Microsoft-Windows-Shell-Setup" processorArchitecture="x86">
      <ComputerName>*</ComputerName>
    </component>
    <component name="Microsoft-Windows-Deployment" processorArchitecture="amd64">
      <RunSynchronous>
        <RunSynchronousCommand wcm:action="add">
          <Order>3</Order>
          <Path>cmd /c echo image's own</Path>
        </RunSynchronousCommand>
      </RunSynchronous>
    </component>
  </settings>
  <settings pass="oobeSystem">
    <component name="Microsoft-Windows-Shell-Setup" processorArchitecture="amd64">
      <UserAccounts><LocalAccounts>
        <LocalAccount wcm:action="add"><Name>alice</Name></LocalAccount>
        <LocalAccount wcm:action="add"><Name>bob</Name></LocalAccount>
      </LocalAccounts></UserAccounts>
    </component>
  </settings>
</unattend>
)";

} // namespace

TEST_CASE("set_setting changes every architecture's copy of the component", "[windows][unattend]") {
    UnattendXml xml(k_image_unattend, "test");
    xml.set_setting("specialize", "Microsoft-Windows-Shell-Setup", "ComputerName", "web1", "amd64");
    CHECK(xml.settings("specialize", "Microsoft-Windows-Shell-Setup", "ComputerName") ==
          std::vector<std::string>{"web1", "web1"});
    // The result parses again, with the namespace kept on new elements.
    UnattendXml again(xml.serialize(), "again");
    CHECK(again.settings("specialize", "Microsoft-Windows-Shell-Setup", "ComputerName").size() ==
          2);
    CHECK_THAT(xml.serialize(), Contains("xmlns=\"urn:schemas-microsoft-com:unattend\""));
}

TEST_CASE("set_setting creates a missing pass and component for the image's architecture",
          "[windows][unattend]") {
    UnattendXml xml(R"(<unattend xmlns="urn:schemas-microsoft-com:unattend"/>)", "test");
    xml.set_setting("specialize",
                    "Microsoft-Windows-Shell-Setup",
                    "ProductKey",
                    "AAAAA-BBBBB-CCCCC-DDDDD-EEEEE",
                    "arm64");
    std::string out = xml.serialize();
    CHECK_THAT(out, Contains("<settings pass=\"specialize\">"));
    CHECK_THAT(out, Contains("processorArchitecture=\"arm64\""));
    CHECK_THAT(out, Contains("<ProductKey>AAAAA-BBBBB-CCCCC-DDDDD-EEEEE</ProductKey>"));
}

TEST_CASE("values are escaped, not parsed as XML", "[windows][unattend]") {
    UnattendXml xml(k_image_unattend, "test");
    xml.set_setting(
        "specialize", "Microsoft-Windows-Shell-Setup", "ComputerName", "a<b>&c", "amd64");
    CHECK_THAT(xml.serialize(), Contains("a&lt;b&gt;&amp;c"));
    CHECK(xml.settings("specialize", "Microsoft-Windows-Shell-Setup", "ComputerName").front() ==
          "a<b>&c");
}

TEST_CASE("add_synchronous_command appends after the largest Order, once", "[windows][unattend]") {
    UnattendXml xml(k_image_unattend, "test");
    CHECK(xml.add_synchronous_command("diskpart.exe /s C:\\x", "extend", "amd64"));
    CHECK_FALSE(xml.add_synchronous_command("DISKPART.EXE /s C:\\x", "extend", "amd64"));
    std::string out = xml.serialize();
    CHECK_THAT(out, Contains("<Order>4</Order>"));
    CHECK_THAT(out, Contains("<Path>diskpart.exe /s C:\\x</Path>"));
    CHECK_THAT(out, Contains("wcm:action=\"add\""));
    CHECK_THAT(out, Contains("image's own"));
}

TEST_CASE("local_accounts lists the oobeSystem LocalAccount names", "[windows][unattend]") {
    UnattendXml xml(k_image_unattend, "test");
    CHECK(xml.local_accounts() == std::vector<std::string>{"alice", "bob"});
}

TEST_CASE("a broken or foreign answer file is one clear error", "[windows][unattend]") {
    CHECK_THROWS_WITH(UnattendXml("<unattend><settings>", "answer file /unattend.xml"),
                      Contains("answer file /unattend.xml: line"));
    CHECK_THROWS_WITH(UnattendXml("<html/>", "answer file /x.xml"),
                      Contains("root element is not <unattend>"));
}

TEST_CASE("the default answer file is well-formed and asks for a computer name",
          "[windows][unattend]") {
    UnattendXml xml(default_unattend_xml(), "default");
    CHECK(xml.settings("specialize", "Microsoft-Windows-Shell-Setup", "ComputerName") ==
          std::vector<std::string>{"*", "*"});
}
