#pragma once
// Reporter: how a task talks to the runner besides its exit status.
// Warnings and errors go to stderr (the console log) and, as monitor lines
// "WARNING:<text>" / "ERROR:<text>", to IMGDEPLOY_MONITOR_FD when it is set.
// Never pass a password, a hash or a key to it.

#include <string>
#include <string_view>

namespace imgdeploy::tasks {

class Reporter {
  public:
    /// monitor_fd < 0 means stderr only. A monitor fd that is not open is
    /// ignored (with a note on stderr); a valid one is made close-on-exec so
    /// the tools a task runs do not inherit it.
    Reporter(std::string task_name, int monitor_fd);

    /// "<task>: <text>" on stdout.
    void info(std::string_view text) const;
    /// "<task>: warning: <text>" on stderr and "WARNING:<text>" on the monitor.
    void warn(std::string_view text) const;
    /// "<task>: <text>" on stderr and "ERROR:<text>" on the monitor.
    void error(std::string_view text) const;

    const std::string& task_name() const { return m_task_name; }

  private:
    void monitor(bool is_error, std::string_view text) const;

    std::string m_task_name;
    int m_monitor_fd;
};

}  // namespace imgdeploy::tasks
