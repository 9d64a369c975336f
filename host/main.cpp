#include "host/cli/cli.hpp"

int main(int argc, char** argv, char** envp) { return imgdeploy::cli_main(argc, argv, envp); }
