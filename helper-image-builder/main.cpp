#include "helper-image-builder/cli.hpp"

int main(int argc, char** argv, char** envp) { return imgdeploy::builder::build_helper_main(argc, argv, envp); }
