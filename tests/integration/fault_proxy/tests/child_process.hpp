#pragma once
#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace fault_proxy::testing {

// A program started by a test, its stdout piped back. Ended with SIGTERM
// (and SIGKILL if it will not go) when the test is done with it.
class ChildProcess {
public:
    explicit ChildProcess(const std::vector<std::string>& argv); // throws on failure
    ~ChildProcess();
    ChildProcess(const ChildProcess&) = delete;
    ChildProcess& operator=(const ChildProcess&) = delete;

    // The next line of stdout, without its newline; nullopt at end of stream
    // or when nothing arrives within `timeout` (a guard against a hung test).
    std::optional<std::string> readLine(std::chrono::milliseconds timeout);
    // SIGTERM, then the exit status: the exit code, or 128 + signal number.
    int terminate();

private:
    pid_t m_pid = -1;
    int m_stdout = -1;
    std::string m_pending;
    std::optional<int> m_status;
};

} // namespace fault_proxy::testing
