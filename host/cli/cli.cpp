#include "host/cli/cli.hpp"

#include "common/error.hpp"
#include "common/log.hpp"
#include "common/signals.hpp"
#include "host/config/config.hpp"
#include "host/ganeti/environment.hpp"

#include <boost/program_options/errors.hpp>
#include <csignal>
#include <cstdio>
#include <cstring>

namespace imgdeploy {

namespace {

struct Command {
    const char* name;
    int (*run)(CliContext&);
    const char* help;
};

const Command k_commands[] = {
    {"deploy", cmd_deploy, "deploy an image onto a disk from flags (no Ganeti needed)"},
    {"ganeti", cmd_ganeti, "run a Ganeti OS script: create, import, export, rename, verify"},
};

void print_usage(FILE* out) {
    std::fprintf(out, "usage: imgdeploy <command> [options]\n\ncommands:\n");
    for (const auto& c : k_commands) {
        std::fprintf(out, "  %-8s %s\n", c.name, c.help);
    }
    std::fprintf(out, "  version  print the version\n\n"
                      "'imgdeploy <command> --help' describes a command; see imgdeploy(8).\n");
}

void print_error(const std::string& what) {
    std::fflush(stdout);
    std::fprintf(stderr, "imgdeploy: error: %s\n", what.c_str());
}

int run_command(const Command& command, CliContext& ctx) {
    try {
        return command.run(ctx);
    } catch (const Interrupted& e) {
        print_error(e.what());
        return 128 + e.signal();
    } catch (const UsageError& e) {
        print_error(e.what());
        return static_cast<int>(ExitCode::usage);
    } catch (const boost::program_options::error& e) {
        print_error(std::string(command.name) + ": " + e.what());
        return static_cast<int>(ExitCode::usage);
    } catch (const std::exception& e) {
        print_error(e.what());
        return static_cast<int>(ExitCode::failure);
    }
}

}  // namespace

ConfigChoice choose_config(const std::string& flag, const std::map<std::string, std::string>& env) {
    if (!flag.empty()) {
        return {flag, true};
    }
    if (auto it = env.find("IMGDEPLOY_CONFIG"); it != env.end() && !it->second.empty()) {
        return {it->second, true};
    }
    return {k_default_config_path, false};
}

int cli_main(int argc, char** argv, char** envp) {
    // A closed pipe (dead monitor, export reader gone) is an error, not death.
    std::signal(SIGPIPE, SIG_IGN);
    // Blocked before any thread starts, taken through a signalfd in poll loops.
    ScopedSignalBlock block{SIGINT, SIGTERM};
    if (argc < 2) {
        print_usage(stderr);
        return static_cast<int>(ExitCode::usage);
    }
    std::string name = argv[1];
    if (name == "-h" || name == "--help" || name == "help") {
        print_usage(stdout);
        return 0;
    }
    if (name == "version" || name == "--version") {
        std::printf("imgdeploy %s\n", IMGDEPLOY_VERSION);
        return 0;
    }
    try {
        SignalFd signals(block.blocked());
        CliContext ctx;
        ctx.args.assign(argv + 2, argv + argc);
        ctx.env = environment_map(envp);
        ctx.signals = &signals;
        for (const auto& c : k_commands) {
            if (name == c.name) {
                return run_command(c, ctx);
            }
        }
    } catch (const std::exception& e) {
        print_error(e.what());
        return static_cast<int>(ExitCode::failure);
    }
    print_error("unknown command '" + name + "' (try 'imgdeploy --help')");
    return static_cast<int>(ExitCode::usage);
}

}  // namespace imgdeploy
