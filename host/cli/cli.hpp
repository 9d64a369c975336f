#pragma once
// The imgdeploy command line: a table of subcommands, one file each
// (cmd_deploy.cpp, cmd_ganeti.cpp). Boost.Program_options stays in here.

#include <map>
#include <string>
#include <vector>

namespace imgdeploy {

class SignalFd;

/// What every subcommand gets from main: its arguments, the environment
/// (parsed here once; nobody else calls getenv) and the signalfd.
struct CliContext {
    std::vector<std::string> args;  // after the subcommand name
    std::map<std::string, std::string> env;
    SignalFd* signals = nullptr;
};

int cmd_deploy(CliContext& ctx);
int cmd_ganeti(CliContext& ctx);

/// The config file to read: --config, else $IMGDEPLOY_CONFIG, else the
/// default path (which may be absent). `required` tells load_config whether
/// a missing file is an error.
struct ConfigChoice {
    std::string path;
    bool required = false;
};
ConfigChoice choose_config(const std::string& flag, const std::map<std::string, std::string>& env);

/// Entry point: runs a subcommand and turns exceptions into
/// "imgdeploy: error: ..." and an exit code.
int cli_main(int argc, char** argv, char** envp);

}  // namespace imgdeploy
