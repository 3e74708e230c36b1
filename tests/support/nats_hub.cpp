#include "support/nats_hub.hpp"

#include "sync/site/hub_config.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <netinet/in.h>
#include <poll.h>
#include <spawn.h>
#include <sstream>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

extern char** environ;

namespace kiosk::test {

namespace {

int freeLoopbackPort() {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    socklen_t len = sizeof a;
    int port = 0;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0)
        port = ntohs(a.sin_port);
    ::close(fd);
    return port;
}

// True once something on the port sends NATS's greeting ("INFO {...}").
bool greets(int port) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(static_cast<std::uint16_t>(port));
    bool ok = false;
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
        pollfd p{fd, POLLIN, 0};
        char buf[8] = {};
        if (::poll(&p, 1, 500) == 1 && ::recv(fd, buf, 5, 0) == 5) ok = std::memcmp(buf, "INFO ", 5) == 0;
    }
    ::close(fd);
    return ok;
}

std::string tail(const std::filesystem::path& file) {
    std::ifstream in(file);
    std::stringstream ss;
    ss << in.rdbuf();
    std::string s = ss.str();
    return s.size() > 2000 ? s.substr(s.size() - 2000) : s;
}

} // namespace

std::string natsServerPath() {
    for (const char* p : {"/usr/sbin/nats-server", "/usr/bin/nats-server", "/usr/local/bin/nats-server"})
        if (::access(p, X_OK) == 0) return p;
    return {};
}

NatsHub::NatsHub(std::filesystem::path dir, NatsHubOptions options) : m_dir(std::move(dir)), m_options(std::move(options)) {
    std::filesystem::create_directories(m_dir);
    m_port = freeLoopbackPort();
    const bool configured = m_options.tls || !m_options.user.empty();
    if (!configured) return;
    edsync::site::HubConfig c;
    c.listenHost = "127.0.0.1";
    c.port = m_port;
    c.serverName = "test-hub";
    c.dataDir = m_dir;
    c.user = m_options.user.empty() ? "kiosk" : m_options.user;
    c.password = m_options.password.empty() ? "test-password" : m_options.password;
    if (m_options.tls) {
        c.certFile = m_dir / "hub-cert.pem";
        c.keyFile = m_dir / "hub-key.pem";
        auto made = edsync::site::makeSelfSignedCert(c.certFile, c.keyFile, "test-hub", {"localhost"}, {"127.0.0.1"}, 2);
        if (!made) m_error = made.error().message;
    }
    m_config = m_dir / "hub.conf";
    if (auto w = edsync::site::writeHubConfig(c, m_config); !w) m_error = w.error().message;
}

NatsHub::~NatsHub() { kill(); }

std::string NatsHub::url() const {
    return std::string(m_options.tls ? "tls" : "nats") + "://127.0.0.1:" + std::to_string(m_port);
}

std::string NatsHub::logTail() const {
    // A Go panic's first lines say what went wrong; its stack follows at length.
    std::ifstream in(m_dir / "hub.log");
    std::stringstream ss;
    ss << in.rdbuf();
    const std::string s = ss.str();
    if (auto at = s.find("panic:"); at != std::string::npos) return s.substr(at, 2000);
    return tail(m_dir / "hub.log");
}

std::filesystem::path NatsHub::caFile() const { return m_dir / "hub-cert.pem"; }

bool NatsHub::start() {
    if (m_pid > 0) return true;
    const std::string exe = natsServerPath();
    if (exe.empty()) {
        m_error = "nats-server is not installed (packaging/install-deps.sh installs it)";
        return false;
    }
    if (!m_error.empty()) return false;
    std::vector<std::string> args{exe};
    if (!m_config.empty()) {
        args.insert(args.end(), {"-c", m_config.string()});
    } else {
        args.insert(args.end(), {"-js", "-a", "127.0.0.1", "-p", std::to_string(m_port), "-sd", (m_dir / "hub").string(),
                                 "--server_name", "test-hub"});
    }
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    const std::string log = (m_dir / "hub.log").string();
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
    int rc = posix_spawn(&m_pid, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) {
        m_pid = -1;
        m_error = std::string("cannot start nats-server: ") + std::strerror(rc);
        return false;
    }
    // A JetStream server with a store to recover may take a few seconds.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < deadline) {
        int status = 0;
        if (::waitpid(m_pid, &status, WNOHANG) == m_pid) {
            m_pid = -1;
            m_error = "nats-server exited: " + tail(m_dir / "hub.log");
            return false;
        }
        if (greets(m_port)) return true;
        pollfd none{-1, 0, 0};
        ::poll(&none, 0, 20);  // between connection attempts
    }
    m_error = "nats-server did not get ready: " + tail(m_dir / "hub.log");
    kill();
    return false;
}

void NatsHub::reap(int signal) {
    if (m_pid <= 0) return;
    ::kill(m_pid, signal);
    int status = 0;
    while (::waitpid(m_pid, &status, 0) < 0 && errno == EINTR) {
    }
    m_pid = -1;
}

bool NatsHub::exitedByItself() {
    if (m_pid <= 0) return false;
    int status = 0;
    if (::waitpid(m_pid, &status, WNOHANG) != m_pid) return false;
    m_pid = -1;
    return true;
}

void NatsHub::kill() { reap(SIGKILL); }
void NatsHub::stop() { reap(SIGTERM); }

} // namespace kiosk::test
