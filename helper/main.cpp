#include "helper/helper_main.hpp"

int main(int argc, char** argv) { return imgdeploy::helper_main(argc, argv); }
