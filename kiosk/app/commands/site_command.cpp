// `testsite-kioskctl site`: the machines of this kiosk's site as the hub knows
// them, who holds the uploader lease, and how far this kiosk is from the
// site log (docs/architecture.md, "One site, many machines").
#include "kiosk/app/commands/ctl.hpp"
#include "kiosk/app/printable.hpp"
#include "kiosk/app/site_wiring.hpp"
#include "sync/site/connection.hpp"
#include "sync/site/hub_config.hpp"
#include "sync/site/lease.hpp"
#include "sync/site/site_store.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <memory>
#include <vector>
#include <iostream>

namespace kiosk::app::ctl {

namespace {

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
    const auto now = nowUnixMs();
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

struct HubOptions {
    std::string name;
    std::vector<std::string> ips;
    int port = 4222;
    std::string dir;
};

// Makes this machine the site's hub: a certificate (kiosks pin it), the
// nats-server configuration with the password derived from the site key, and
// the lines every kiosk of the site adds to its kiosk.toml.
int setUpHub(Context& ctx, const HubOptions& o) {
    int code = Ok;
    std::string why;
    auto config = ctx.config(why);
    if (!config || !config->site) {
        std::cerr << "hub-setup: enrol this machine first (the hub's password comes from the site key): " << printable(why) << "\n";
        return Usage;
    }
    auto dataDir = ctx.dataDir(code);
    if (!dataDir) return code;
    std::filesystem::path dir = o.dir.empty() ? dataDir->root / "hub" : std::filesystem::path(o.dir);
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    std::filesystem::permissions(dir, std::filesystem::perms::owner_all, ec);
    std::filesystem::path keyFile = config->site->keyFile ? *config->site->keyFile : config->source.parent_path() / "site.key";
    auto key = readSiteKey(keyFile, why);
    if (!key) {
        std::cerr << "hub-setup: " << printable(why) << "\n";
        return InputError;
    }
    edsync::site::HubConfig hub;
    hub.port = o.port;
    hub.serverName = o.name;
    hub.dataDir = dir;
    hub.certFile = dir / "hub-cert.pem";
    hub.keyFile = dir / "hub-key.pem";
    hub.user = kHubUser;
    hub.password = hubPassword(*key);
    if (auto made = edsync::site::makeSelfSignedCert(hub.certFile, hub.keyFile, o.name, {o.name}, o.ips); !made) {
        std::cerr << "hub-setup: cannot make the hub's certificate: " << printable(made.error().message) << "\n";
        return DataError;
    }
    if (auto written = edsync::site::writeHubConfig(hub, dir / "nats.conf"); !written) {
        std::cerr << "hub-setup: cannot write the hub's configuration: " << printable(written.error().message) << "\n";
        return DataError;
    }
    std::cout << "This machine is the hub of site " << printable(config->site->id) << ".\n"
              << "Start it with: sudo systemctl enable --now testsite-kiosk-hub   (runs nats-server -c " << (dir / "nats.conf").string()
              << ")\n"
              << "On every kiosk of the site (this one too), copy " << hub.certFile.string()
              << " to it and enrol with the hub's address added:\n\n"
              << "  sudo testsite-kioskctl enrol ... --hub-server tls://" << o.name << ":" << o.port << " --hub-ca hub-ca.pem\n\n"
              << "(or add to kiosk.toml: [hub] servers = [\"tls://" << o.name << ":" << o.port
              << "\"], ca_file = the copied certificate)\n";
    return Ok;
}

} // namespace

void addSiteCommand(CLI::App& app, Context& ctx) {
    auto* cmd = app.add_subcommand("site", "The machines of this kiosk's site, the uploader, and the site log");
    cmd->callback([&ctx] { ctx.action = [&ctx] { return showSite(ctx); }; });

    auto options = std::make_shared<HubOptions>();
    auto* hub = app.add_subcommand("hub-setup", "Make this machine the site's hub (NATS JetStream): certificate and configuration");
    hub->add_option("--name", options->name, "The hub's host name on the LAN, as kiosks will reach it")->required();
    hub->add_option("--ip", options->ips, "The hub's LAN address(es), also named in its certificate");
    hub->add_option("--port", options->port, "The port kiosks connect to")->check(CLI::Range(1, 65535));
    hub->add_option("--dir", options->dir, "Where the hub keeps its configuration and store (default: <data dir>/hub)");
    hub->callback([&ctx, options] { ctx.action = [&ctx, options] { return setUpHub(ctx, *options); }; });
}

} // namespace kiosk::app::ctl
