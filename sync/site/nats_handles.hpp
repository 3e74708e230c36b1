#pragma once
// The C handles behind SiteConnection, shared by this folder's .cpp files.
// Declares the nats.c types itself so nats.h stays in .cpp files.
#include "sync/site/site_config.hpp"

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

typedef struct __natsConnection natsConnection;
typedef struct __natsOptions natsOptions;
typedef struct __jsCtx jsCtx;

namespace edsync::site {

// One PubAck (or its failure), collected on the library's thread.
struct PubOutcome {
    std::string eventId;
    bool ok = false;
    std::uint64_t streamSeq = 0;
    std::string error;
};

struct NatsHandles {
    SiteLogConfig config;
    natsOptions* opts = nullptr;
    natsConnection* nc = nullptr;
    jsCtx* js = nullptr;
    std::atomic<std::int64_t> lastContactMs{0};
    std::atomic<std::int64_t> streamCreatedNs{0};

    std::mutex ackMutex;
    std::vector<PubOutcome> acks;  // drained by the publisher

    std::vector<PubOutcome> takeAcks() {
        std::lock_guard lock(ackMutex);
        std::vector<PubOutcome> out;
        out.swap(acks);
        return out;
    }
};

// A SiteError from a nats.c status, with the library's last error text.
SiteError natsError(int status, int jsCode, std::string_view what);
std::int64_t unixMsNow();

} // namespace edsync::site
