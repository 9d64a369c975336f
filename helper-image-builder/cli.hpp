#pragma once
// The command line of imgdeploy-build-helper, parsed once into
// BuildOptions; Boost.Program_options stays inside cli.cpp.

#include "helper-image-builder/helper_image.hpp"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace imgdeploy::builder {

struct CommandLine {
    BuildOptions build;
    int verbosity = 0;
    bool help = false;
    bool version = false;
};

/// Parses the arguments (without argv[0]) and the environment variables the
/// builder reads (SOURCE_DATE_EPOCH, IMGDEPLOY_CONFIG). Without --output,
/// the output directory is helper.dir from the config file. Throws
/// UsageError for bad arguments.
CommandLine parse_command_line(const std::vector<std::string>& args, const std::map<std::string, std::string>& env);

/// The whole program: parse, build, print "imgdeploy-build-helper: error:
/// ..." on failure. Returns the exit code.
int build_helper_main(int argc, char** argv, char** envp);

}  // namespace imgdeploy::builder
