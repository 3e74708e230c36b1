// A kiosk process for the kill -9 test: commits `count` events to its
// database and publishes them as it goes. Killed at any moment and run again
// with the same arguments, it re-enqueues nothing twice and publishes the rest.
// Usage: site-publisher <db> <url> <site> <kiosk> <count>
#include "site_test_util.hpp"
#include "sync/site/publisher.hpp"

#include <cstdio>
#include <cstdlib>

int main(int argc, char** argv) {
    if (argc != 6) {
        std::fprintf(stderr, "usage: site-publisher <db> <url> <site> <kiosk> <count>\n");
        return 2;
    }
    auto db = site_test::Database::open(argv[1]);
    if (!db || !site_test::prepareKiosk(*db)) return 3;
    edsync::site::SiteLogConfig cfg;
    cfg.servers = {argv[2]};
    cfg.siteId = argv[3];
    cfg.kioskId = argv[4];
    const int total = std::atoi(argv[5]);
    auto conn = edsync::site::SiteConnection::connect(cfg);
    if (!conn) {
        std::fprintf(stderr, "%s\n", conn.error().message.c_str());
        return 4;
    }
    if (!(*conn)->ensureStream()) return 5;
    edsync::site::Publisher publisher(**conn, *db);
    for (int i = 0; i < total; ++i) {
        if (!site_test::commitEvent(*db, site_test::eventId(cfg.kioskId, i), "work.entry", "{\"n\":" + std::to_string(i) + "}"))
            return 6;
        if (i % 10 == 9) (void)publisher.publishPending();
    }
    for (int attempt = 0; attempt < 100; ++attempt) {
        auto r = publisher.publishPending();
        auto st = edsync::site::outboxStatus(*db);
        if (st && st->unpublished == 0) return 0;
        site_test::pause(100);
    }
    return 7;
}
