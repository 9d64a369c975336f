#include "helper-image-builder/cli.hpp"

#include "common/error.hpp"
#include "common/log.hpp"
#include "common/strings.hpp"
#include "helper-image-builder/builder_config.hpp"

#include <boost/program_options.hpp>
#include <cstdio>
#include <iostream>
#include <limits>

namespace po = boost::program_options;

namespace imgdeploy::builder {

namespace {

constexpr const char* k_program = "imgdeploy-build-helper";
constexpr const char* k_config_default = "/etc/imgdeploy/imgdeploy.yaml";

/// Every valued option is a list whose last element wins, so that repeating
/// an option overrides it (and because GCC 12 reports a false "potential
/// null pointer dereference" inside typed_value<std::string>::notify).
po::typed_value<std::vector<std::string>>* text_value() { return po::value<std::vector<std::string>>(); }

po::options_description option_table() {
    po::options_description d("Options");
    d.add_options()
        ("output,o", text_value()->value_name("DIR"),
         "where to write kernel, initramfs and manifest.json (default: helper.dir from the config, "
         "/var/lib/imgdeploy/helper)")
        ("kernel,k", text_value()->value_name("VERSION|PATH"),
         "kernel: a version in /boot and /lib/modules, or a bzImage path (default: the newest /boot/vmlinuz-*)")
        ("tasks-dir", text_value()->value_name("DIR"), "drop-in tasks (default /etc/imgdeploy/tasks.d)")
        ("builtin-tasks", text_value()->value_name("DIR"),
         "built-in tasks (default /usr/lib/imgdeploy/tasks)")
        ("helper-binary", text_value()->value_name("PATH"),
         "the program to run as /init (default /usr/lib/imgdeploy/imgdeploy-helper)")
        ("config,c", text_value()->value_name("FILE"),
         "imgdeploy config to take helper.dir from (default $IMGDEPLOY_CONFIG or /etc/imgdeploy/imgdeploy.yaml)")
        ("verbose,v", "debug output")
        ("help,h", "show this help")
        ("version", "show the version");
    return d;
}

/// Sets `out` from option `name` when it was given (an empty value is refused).
void take(const po::variables_map& vm, const char* name, std::string& out) {
    if (vm.count(name) == 0) {
        return;
    }
    out = vm[name].as<std::vector<std::string>>().back();
    if (out.empty()) {
        throw UsageError(std::string("--") + name + " needs a non-empty value");
    }
}

std::optional<uint32_t> source_date_epoch(const std::map<std::string, std::string>& env) {
    auto it = env.find("SOURCE_DATE_EPOCH");
    if (it == env.end() || it->second.empty()) {
        return std::nullopt;
    }
    std::optional<uint64_t> v = parse_u64(it->second);
    if (!v || *v > std::numeric_limits<uint32_t>::max()) {
        throw UsageError("SOURCE_DATE_EPOCH='" + it->second + "' is not a time in seconds since 1970 (up to 2106)");
    }
    return static_cast<uint32_t>(*v);
}

std::map<std::string, std::string> environment_map(char** envp) {
    std::map<std::string, std::string> env;
    for (char** e = envp; e && *e; ++e) {
        std::string entry(*e);
        size_t eq = entry.find('=');
        if (eq != std::string::npos) {
            env.emplace(entry.substr(0, eq), entry.substr(eq + 1));  // the first of duplicates wins
        }
    }
    return env;
}

void print_help(const po::options_description& d) {
    std::cout << "Usage: " << k_program << " [OPTIONS]\n"
              << "Builds the imgdeploy helper VM image (kernel, initramfs, manifest.json) from the\n"
              << "kernel, programs and tasks installed on this host. See imgdeploy-build-helper(8).\n\n"
              << d;
}

}  // namespace

CommandLine parse_command_line(const std::vector<std::string>& args, const std::map<std::string, std::string>& env) {
    CommandLine c;
    po::options_description table = option_table();
    po::variables_map vm;
    try {
        po::store(po::command_line_parser(args).options(table).run(), vm);
    } catch (const po::error& e) {
        throw UsageError(e.what());
    }
    c.help = vm.count("help") > 0;
    c.version = vm.count("version") > 0;
    c.verbosity = vm.count("verbose") > 0 ? 1 : 0;
    if (c.help) {
        print_help(table);
        return c;
    }
    std::string config;
    std::string output;
    take(vm, "output", output);
    take(vm, "config", config);
    take(vm, "kernel", c.build.kernel);
    take(vm, "tasks-dir", c.build.tasks_dir);
    take(vm, "builtin-tasks", c.build.builtin_tasks_dir);
    take(vm, "helper-binary", c.build.helper_binary);
    c.build.source_date_epoch = source_date_epoch(env);
    if (!output.empty()) {
        c.build.output_dir = output;
        return c;
    }
    bool required = !config.empty();
    if (config.empty()) {
        auto it = env.find("IMGDEPLOY_CONFIG");
        required = it != env.end() && !it->second.empty();
        config = required ? it->second : k_config_default;
    }
    c.build.output_dir = helper_dir_from_config(config, required);
    return c;
}

int build_helper_main(int argc, char** argv, char** envp) {
    try {
        std::vector<std::string> args(argv + (argc > 0 ? 1 : 0), argv + argc);
        CommandLine c = parse_command_line(args, environment_map(envp));
        if (c.help) {
            return 0;
        }
        if (c.version) {
            std::cout << k_program << " " << IMGDEPLOY_VERSION << "\n";
            return 0;
        }
        init_logging(c.verbosity);
        build_helper_image(c.build);
        return 0;
    } catch (const UsageError& e) {
        std::fprintf(stderr, "%s: error: %s (see --help)\n", k_program, e.what());
        return static_cast<int>(ExitCode::usage);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "%s: error: %s\n", k_program, e.what());
        return static_cast<int>(ExitCode::failure);
    }
}

}  // namespace imgdeploy::builder
