#pragma once
// A harness's child process (the durability driver, the Ed-Fi double, the
// fault proxy): stdout to a file or a pipe, stderr to a file; stopped with a
// signal and reaped. Shared by durability-harness and site-durability-harness.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace kiosk::durability {

// A child process with stdout/stderr sent to files (or to a pipe for stdout).
class Child {
public:
    Child(const std::vector<std::string>& args, const std::filesystem::path& out, const std::filesystem::path& err, bool pipeOut) {
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        int fds[2] = {-1, -1};
        if (pipeOut) {
            if (pipe2(fds, O_CLOEXEC) != 0) std::abort();
            posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
        } else {
            posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, out.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
        }
        posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, err.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
        std::vector<char*> argv;
        for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
        argv.push_back(nullptr);
        int rc = posix_spawn(&m_pid, argv[0], &actions, nullptr, argv.data(), environ);
        posix_spawn_file_actions_destroy(&actions);
        if (pipeOut) {
            close(fds[1]);
            m_out = fds[0];
        }
        if (rc != 0) {
            std::fprintf(stderr, "harness: cannot start %s: %s\n", args[0].c_str(), std::strerror(rc));
            std::exit(2);
        }
    }
    ~Child() { stop(SIGTERM); }
    Child(const Child&) = delete;
    Child& operator=(const Child&) = delete;

    // "listening on https://127.0.0.1:PORT" on the piped stdout; -1 if it never comes.
    int port() {
        std::string text;
        auto end = std::chrono::steady_clock::now() + std::chrono::seconds{20};
        while (std::chrono::steady_clock::now() < end) {
            pollfd p{m_out, POLLIN, 0};
            if (poll(&p, 1, 100) <= 0) continue;
            char buf[256];
            ssize_t n = read(m_out, buf, sizeof buf);
            if (n <= 0) return -1;
            text.append(buf, static_cast<std::size_t>(n));
            auto at = text.find("https://127.0.0.1:");
            if (at != std::string::npos && text.find('\n', at) != std::string::npos) return std::stoi(text.substr(at + 18));
        }
        return -1;
    }
    // Whether it has already exited (and how), without waiting.
    std::optional<int> exited() {
        if (m_pid <= 0) return m_status;
        int status = 0;
        if (waitpid(m_pid, &status, WNOHANG) == m_pid) {
            m_pid = -1;
            m_status = status;
        }
        return m_status;
    }
    int stop(int sig) {
        if (m_pid > 0) {
            kill(m_pid, sig);
            int status = 0;
            waitpid(m_pid, &status, 0);
            m_pid = -1;
            m_status = status;
        }
        if (m_out >= 0) {
            close(m_out);
            m_out = -1;
        }
        return m_status.value_or(0);
    }
    // SIGTERM, then SIGKILL if it has not gone within `limit`.
    int stopWithin(std::chrono::milliseconds limit) {
        if (m_pid > 0) {
            kill(m_pid, SIGTERM);
            auto end = std::chrono::steady_clock::now() + limit;
            while (!exited() && std::chrono::steady_clock::now() < end) std::this_thread::sleep_for(std::chrono::milliseconds{10});
        }
        return stop(SIGKILL);
    }
    int wait() {
        if (m_pid > 0) {
            int status = 0;
            waitpid(m_pid, &status, 0);
            m_pid = -1;
            m_status = status;
        }
        return m_status.value_or(0);
    }

private:
    pid_t m_pid = -1;
    int m_out = -1;
    std::optional<int> m_status;
};

} // namespace kiosk::durability
