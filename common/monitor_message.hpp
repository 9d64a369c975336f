#pragma once
// The snf-image progress-monitor protocol (SNF-IMAGE-REFERENCE §3.4): one
// JSON object per line, each with "type" and "timestamp" (float epoch
// seconds). These builders are the only place the wire format is written.

#include <cstdint>
#include <string>
#include <vector>

namespace imgdeploy::monitor {

/// {"type":"image-info","messages":[...]}
std::string info(const std::vector<std::string>& messages);
/// {"type":"image-error","messages":[...]}
std::string error(const std::vector<std::string>& messages);
/// {"type":"image-copy-progress","position":N,"total":N,"progress":P}
std::string copy_progress(uint64_t position, uint64_t total);
/// {"type":"image-helper","subtype":"task-start"|"task-end","task":name}
std::string helper_task(const std::string& subtype, const std::string& task);
/// {"type":"image-helper","subtype":"warning"|"error","messages":[text]}
std::string helper_message(const std::string& subtype, const std::string& text);

}  // namespace imgdeploy::monitor
