#pragma once
// One connection to the site hub (NATS with JetStream), shared by the
// publisher, consumer and lease of one process. nats.h stays in the .cpp.
#include "sync/site/site_config.hpp"

#include <cstdint>
#include <memory>
#include <optional>

namespace edsync::site {

struct NatsHandles;  // nats_handles.hpp, for this folder's .cpp files only

class SiteConnection {
public:
    // Connects once, waiting at most config.connectTimeout per server; a
    // refusal (wrong password, bad certificate, nobody listening) comes back
    // as an error with the server's words. Once connected it reconnects
    // forever in the background; calls made meanwhile fail fast.
    static Result<std::unique_ptr<SiteConnection>> connect(const SiteLogConfig& config);
    ~SiteConnection();
    SiteConnection(const SiteConnection&) = delete;
    SiteConnection& operator=(const SiteConnection&) = delete;

    const SiteLogConfig& config() const;
    bool connected() const;
    // The library gave up on this connection (closed): make a new one.
    bool closed() const;
    // Unix ms of the last answer from the hub (0: none yet).
    std::int64_t lastContactUnixMs() const;
    void noteContact();

    // Creates the site's stream if absent (file storage, subjects
    // site.<site>.ev.>, the duplicate window of the config); an existing one
    // is kept as it is. Remembers the stream's creation time: a different one
    // later means the hub's store was replaced.
    Status ensureStream();
    std::int64_t streamCreatedNs() const;
    // How many times the library reconnected this connection.
    std::uint64_t reconnects() const;

    NatsHandles& nats();

private:
    SiteConnection();
    std::unique_ptr<NatsHandles> m_h;
};

} // namespace edsync::site
