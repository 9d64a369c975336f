#include "common/log.hpp"

#include <spdlog/sinks/stdout_sinks.h>

namespace imgdeploy {

void init_logging(int debug_level) {
    auto logger = spdlog::stderr_logger_mt("imgdeploy");
    logger->set_pattern("%Y-%m-%d %H:%M:%S.%e [%l] %v");
    logger->set_level(debug_level > 0 ? spdlog::level::debug : spdlog::level::info);
    logger->flush_on(spdlog::level::trace);
    spdlog::set_default_logger(logger);
}

}  // namespace imgdeploy
