#pragma once
// A test's helper process (the Ed-Fi double, the fault proxy): spawned with
// its stdout on a pipe, whose first line names the port it listens on;
// stopped with SIGTERM and reaped.
#include <chrono>
#include <string>
#include <sys/types.h>
#include <vector>

namespace kiosk::test {

class ChildProcess {
public:
    explicit ChildProcess(const std::vector<std::string>& args);
    ~ChildProcess();
    ChildProcess(const ChildProcess&) = delete;
    ChildProcess& operator=(const ChildProcess&) = delete;

    bool spawned() const { return m_pid > 0; }
    // Reads "listening on https://127.0.0.1:PORT"; -1 if it never comes.
    int port(std::chrono::seconds limit = std::chrono::seconds(20));
    void stop();

private:
    pid_t m_pid = -1;
    int m_out = -1;
};

} // namespace kiosk::test
