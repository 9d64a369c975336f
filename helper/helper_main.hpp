#pragma once
// imgdeploy-helper: PID 1 of the helper VM. See helper_main.cpp for the
// steps. It never panics and never hangs: every failure ends in an
// "ERROR: <message>" result line and a power-off.

namespace imgdeploy {

int helper_main(int argc, char** argv);

}  // namespace imgdeploy
