#pragma once
// ProgressSink: what happened during a deployment, for whoever watches
// (Ganeti's progress monitor, a terminal, a JSON consumer). Progress is not
// logging: sinks decide how often to show copy progress.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace imgdeploy {

class ProgressSink {
  public:
    virtual ~ProgressSink() = default;
    /// A milestone ("Starting image copy...").
    virtual void info(const std::string& message) = 0;
    /// Bytes of the image stream consumed so far; total 0 when unknown.
    /// Called often; `final` once at the end of the copy.
    virtual void copy_progress(uint64_t position, uint64_t total, bool final) = 0;
    /// The deployment failed with these messages.
    virtual void error(const std::vector<std::string>& messages) = 0;
    /// A raw monitor-protocol JSON line from the helper VM (image-helper).
    virtual void helper_event(const std::string& json_line) = 0;
};

class NullProgress final : public ProgressSink {
  public:
    void info(const std::string&) override {}
    void copy_progress(uint64_t, uint64_t, bool) override {}
    void error(const std::vector<std::string>&) override {}
    void helper_event(const std::string&) override {}
};

}  // namespace imgdeploy
