#include <catch2/catch.hpp>

#include "common/error.hpp"
#include "tasks/lib/task_env.hpp"
#include "tasks/lib/windows/computer_name.hpp"
#include "tasks/lib/windows/ini_file.hpp"
#include "tasks/lib/windows/windows_image.hpp"

using namespace imgdeploy;
using namespace imgdeploy::tasks::windows;
using Catch::Matchers::Contains;

TEST_CASE("IniFile sets keys case-insensitively and keeps everything else", "[windows][ini]") {
    IniFile inf("; sysprep\r\n[Unattended]\r\nOemSkipEula=Yes\r\n\r\n[userdata]\r\n  computername "
                "= old  \r\n"
                "FullName=\"A B\"\r\n\r\n[GuiUnattended]\r\nAdminPassword=*\r\n");
    inf.set("UserData", "ComputerName", "web1");
    inf.set("UserData", "ProductKey", "AAAAA-BBBBB-CCCCC-DDDDD-EEEEE");
    inf.set("Identification", "JoinWorkgroup", "WORKGROUP");
    CHECK(inf.get("USERDATA", "computername") == "web1");
    CHECK(inf.get("GuiUnattended", "AdminPassword") == "*");
    CHECK(inf.text() ==
          "; sysprep\r\n[Unattended]\r\nOemSkipEula=Yes\r\n\r\n[userdata]\r\nComputerName=web1\r\n"
          "FullName=\"A B\"\r\nProductKey=AAAAA-BBBBB-CCCCC-DDDDD-EEEEE\r\n\r\n[GuiUnattended]\r\n"
          "AdminPassword=*\r\n\r\n[Identification]\r\nJoinWorkgroup=WORKGROUP\r\n");
}

TEST_CASE("IniFile append_line adds a command once, tolerating junk lines", "[windows][ini]") {
    IniFile cl("garbage without section\n[Commands]\n\"a.cmd\"\n");
    cl.append_line("Commands", "\"b.cmd\"");
    cl.append_line("commands", "\"B.CMD\"");
    CHECK(cl.text() == "garbage without section\n[Commands]\n\"a.cmd\"\n\"b.cmd\"\n");
    IniFile empty("");
    empty.append_line("Commands", "\"x\"");
    CHECK(empty.text() == "[Commands]\r\n\"x\"\r\n");
}

TEST_CASE("computer names follow the NetBIOS rules", "[windows][hostname]") {
    CHECK_FALSE(computer_name_problem("WEB-01"));
    CHECK_FALSE(computer_name_problem("abcdefghijklmno"));
    CHECK(computer_name_problem("abcdefghijklmnop").value() == "longer than 15 bytes (16)");
    CHECK(computer_name_problem("") == "it is empty");
    CHECK(computer_name_problem("1234") == "it is all digits");
    CHECK(computer_name_problem("web.example") == "it holds the character '.'");
    CHECK(computer_name_problem("a b") == "it holds the character ' '");
    CHECK(computer_name_problem("tab\tx") == "it holds a control character");
}

TEST_CASE("cmd_quote doubles percent signs and refuses what cmd cannot pass", "[windows][cmd]") {
    CHECK(cmd_quote("p%a ss^&|<>", "PW") == "\"p%%a ss^&|<>\"");
    CHECK_THROWS_WITH(cmd_quote("a\"b", "SNF_IMAGE_PASSWD"),
                      Contains("SNF_IMAGE_PASSWD holds a double quote"));
    CHECK_THROWS_WITH(cmd_quote("a\nb", "PW"), Contains("control character"));
    CHECK_THROWS_WITH(cmd_quote("a\\", "PW"), Contains("backslash"));
    // The value itself never appears in the message.
    try {
        cmd_quote("sec\"ret", "PW");
    } catch (const Error& e) {
        CHECK(std::string(e.what()).find("sec") == std::string::npos);
    }
}

TEST_CASE("SetupComplete.cmd: our block first, then the image's own script, CRLF",
          "[windows][cmd]") {
    std::string s = setup_complete_script("echo image\n");
    CHECK_THAT(s, Contains("del /Q /F C:\\Windows\\SnfScripts\\ChangeAdminPassword.cmd\r\n"));
    CHECK_THAT(s, Contains("rem imgdeploy: end\r\n"));
    CHECK(s.find("rem imgdeploy: end") < s.find("echo image\r\n"));
    CHECK(s.find("\n\n") == std::string::npos);
    CHECK(crlf("a\r\nb\nc") == "a\r\nb\r\nc");
}

TEST_CASE("the task environment carries the product key and the floppy's answer files",
          "[windows][task_env]") {
    using imgdeploy::tasks::parse_task_env;
    auto env = parse_task_env({"SNF_IMAGE_OS_PRODUCT_KEY=AAAAA-BBBBB-CCCCC-DDDDD-EEEEE",
                               "SNF_IMAGE_UNATTEND=/run/imgdeploy/floppy/unattend.xml",
                               "SNF_IMAGE_PROPERTY_OSFAMILY=Windows"},
                              "35InstallUnattend");
    CHECK(env.os_product_key == "AAAAA-BBBBB-CCCCC-DDDDD-EEEEE");
    CHECK(env.unattend_file == "/run/imgdeploy/floppy/unattend.xml");
    CHECK(env.sysprep_inf_file.empty());
    CHECK(env.os_family() == "windows");
}
