#pragma once
// Sends the site outbox to the hub: unpublished rows in local order, the
// event id as the JetStream message id (Nats-Msg-Id, so a resend is dropped
// by the hub), the kiosk id in a header; up to config.publishBatch in flight,
// then their PubAcks awaited; a row is marked published only after its PubAck.
#include "sync/site/connection.hpp"
#include "sync/site/site_store.hpp"

#include <climits>
#include <string>

namespace edsync::site {

struct PublishReport {
    int sent = 0;
    int acknowledged = 0;  // PubAcks (duplicates included: the hub holds them)
    int failed = 0;        // no PubAck in time or refused: stays unpublished
    std::string lastError;
};

class Publisher {
public:
    // Both must outlive the publisher; the database is used from the
    // caller's thread only.
    Publisher(SiteConnection& connection, Database& db) : m_conn(connection), m_db(db) {}

    // Publishes in rounds of publishBatch until nothing is left, a round had
    // a failure, or `maxRows` were sent. Fails fast when not connected.
    Result<PublishReport> publishPending(int maxRows = INT_MAX);

private:
    SiteConnection& m_conn;
    Database& m_db;
};

} // namespace edsync::site
