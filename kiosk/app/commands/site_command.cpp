// `testsite-kioskctl site`: the machines of this kiosk's site as the hub knows
// them, who holds the uploader lease, and how far this kiosk is from the
// site log (docs/architecture.md, "One site, many machines").
#include "kiosk/app/commands/ctl.hpp"
#include "kiosk/app/printable.hpp"
#include "kiosk/app/site_wiring.hpp"
#include "sync/site/connection.hpp"
#include "sync/site/lease.hpp"
#include "sync/site/site_store.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <iostream>

namespace kiosk::app::ctl {

namespace {

std::int64_t nowMs() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

int showSite(Context& ctx) {
    int code = Ok;
    std::string why;
    auto config = ctx.config(why);
    if (!config) {
        std::cerr << "site: " << printable(why) << "\n";
        return Usage;
    }
    if (!config->hub) {
        std::cout << "This kiosk is a site of one machine: no hub is configured (see README, \"Install at a site\").\n";
        return Ok;
    }
    auto store = ctx.openStoreForReading(code);
    if (!store) return code;
    const auto now = nowMs();
    std::cout << "site " << printable(config->site ? config->site->id : std::string("?")) << " · this kiosk "
              << printable(store->kioskId()) << "\n";
    if (auto out = edsync::site::outboxStatus(store->db())) {
        std::cout << "  events of this kiosk not yet in the site log: " << out->unpublished;
        if (out->oldestQueuedUnixMs) std::cout << " (oldest " << formatAgo(*out->oldestQueuedUnixMs, now) << ")";
        std::cout << "\n";
    }
    if (auto cursor = edsync::site::cursor(store->db()); cursor && *cursor)
        std::cout << "  applied from the site log: " << (*cursor)->applied << " event(s), last " << formatAgo((*cursor)->updatedUnixMs, now)
                  << "\n";

    auto cfg = siteLogConfig(*config, store->kioskId(), why);
    if (!cfg) {
        std::cerr << "site: " << printable(why) << "\n";
        return InputError;
    }
    auto connection = edsync::site::SiteConnection::connect(*cfg);
    if (!connection) {
        std::cout << "hub " << printable(config->hub->servers.front()) << ": NOT reachable (" << printable(connection.error().message)
                  << "); this kiosk keeps working and queueing\n";
        return Offline;
    }
    std::cout << "hub " << printable(config->hub->servers.front()) << ": reachable\n";
    if (auto lease = edsync::site::Lease::open(**connection)) {
        auto holder = (*lease)->holder();
        if (holder && *holder)
            std::cout << "  uploader: " << printable(**holder) << (**holder == store->kioskId() ? " (this kiosk)" : "") << "\n";
        else if (holder)
            std::cout << "  uploader: none at the moment (a machine that can reach the state takes the lease)\n";
    }
    auto machines = edsync::site::Machines::open(**connection);
    if (!machines) return Ok;
    auto list = (*machines)->machines();
    if (!list) return Ok;
    std::cout << "  machines (" << list->size() << "):\n";
    for (const auto& m : *list) {
        auto j = nlohmann::json::parse(m.json, nullptr, false);
        std::string name = j.is_object() && j.contains("name") && j["name"].is_string() ? j["name"].get<std::string>() : std::string();
        std::cout << "    " << printable(m.kioskId) << (name.empty() ? "" : "  " + printable(name)) << "  last seen "
                  << formatAgo(m.updatedUnixMs, now) << (m.kioskId == store->kioskId() ? "  (this kiosk)" : "") << "\n";
    }
    return Ok;
}

} // namespace

void addSiteCommand(CLI::App& app, Context& ctx) {
    auto* cmd = app.add_subcommand("site", "The machines of this kiosk's site, the uploader, and the site log");
    cmd->callback([&ctx] { ctx.action = [&ctx] { return showSite(ctx); }; });
}

} // namespace kiosk::app::ctl
