// verify-audit, audit-log: the hash-chained audit log.
#include "kiosk/app/commands/ctl.hpp"
#include "kiosk/app/printable.hpp"

#include "kiosk/app/site_wiring.hpp"
#include "kiosk/store/audit_log.hpp"
#include "kiosk/store/site_facts.hpp"
#include "sync/site/stream_reader.hpp"

#include <iostream>
#include <memory>
#include <vector>

namespace kiosk::app::ctl {

namespace {

// The last head the site hub keeps for this kiosk (docs/architecture.md,
// "Personal data at rest"): the chain must still hold it unchanged. Prints
// what it found; returns the problem when the chain was rewritten.
std::optional<std::string> checkAgainstHub(Context& ctx, store::Store& store) {
    std::string why;
    auto config = ctx.config(why);
    if (!config || !config->hub) return std::nullopt;  // a site of one machine: no copy elsewhere but paper
    auto cfg = siteLogConfig(*config, store.kioskId(), why);
    if (!cfg) {
        std::cout << "not checked against the site hub: " << printable(why) << "\n";
        return std::nullopt;
    }
    auto connection = edsync::site::SiteConnection::connect(*cfg);
    if (!connection) {
        std::cout << "not checked against the site hub (not reachable: " << printable(connection.error().message) << ")\n";
        return std::nullopt;
    }
    auto last = edsync::site::lastMessage(**connection, store::auditHeadSubject(store.kioskId()));
    if (!last) {
        std::cout << "not checked against the site hub: " << printable(last.error().message) << "\n";
        return std::nullopt;
    }
    if (!*last) {
        std::cout << "the site hub holds no audit head of this kiosk yet\n";
        return std::nullopt;
    }
    auto decoded = store::decodeAuditHead(**last);
    if (!decoded.head || decoded.head->kioskId != store.kioskId()) {
        std::cout << "not checked against the site hub: its last audit head of this kiosk cannot be read\n";
        return std::nullopt;
    }
    auto problem = store::checkSiteHead(store.db(), decoded.head->seq, decoded.head->hash);
    if (!problem) return "the chain cannot be read: " + problem.error().describe();
    if (!*problem) std::cout << "matches the site hub's copy of its head (entry " << decoded.head->seq << ")\n";
    return *problem;
}

} // namespace

void addAuditCommands(CLI::App& app, Context& ctx) {
    auto* verify = app.add_subcommand("verify-audit", "Check the audit log's hash chain; says where it breaks (exit 5)");
    auto printedHeads = std::make_shared<std::vector<std::string>>();
    verify->add_option("--printed-head", *printedHeads,
                       "An audit head from the footer of printed papers (SEQ:HEX): the chain must still hold that entry unchanged");
    verify->callback([&ctx, printedHeads] {
        ctx.action = [&ctx, printedHeads] {
            int code = Ok;
            auto store = ctx.openStoreForReading(code);
            if (!store) return code;
            auto verdict = store::verifyAudit(store->db());
            if (!verdict) {
                std::cerr << "verify-audit: " << verdict.error().describe() << "\n";
                return static_cast<int>(DataError);
            }
            for (const auto& head : *printedHeads) {
                auto problem = store::checkPrintedHead(store->db(), head);
                if (!problem) {
                    std::cerr << "verify-audit: " << problem.error().describe() << "\n";
                    return static_cast<int>(DataError);
                }
                if (*problem) {
                    std::cout << "audit chain BROKEN: " << printable(**problem) << "\n";
                    return static_cast<int>(AuditBroken);
                }
            }
            if (verdict->intact) {
                if (auto problem = checkAgainstHub(ctx, *store)) {
                    std::cout << "audit chain BROKEN: " << printable(*problem) << "\n";
                    return static_cast<int>(AuditBroken);
                }
                std::cout << "audit chain intact: " << verdict->entries << " entries\n";
                return static_cast<int>(Ok);
            }
            std::cout << "audit chain BROKEN at entry " << *verdict->brokenAtSeq << ": " << printable(verdict->problem) << "\n";
            return static_cast<int>(AuditBroken);
        };
    });

    auto lastN = std::make_shared<int>(50);
    auto* log = app.add_subcommand("audit-log", "Show the most recent audit log entries");
    log->add_option("--last", *lastN, "How many entries")->check(CLI::Range(1, 100000));
    log->callback([&ctx, lastN] {
        ctx.action = [&ctx, lastN] {
            int code = Ok;
            auto store = ctx.openStoreForReading(code);
            if (!store) return code;
            auto entries = store::recentAudit(store->db(), *lastN);
            if (!entries) return static_cast<int>(DataError);
            for (auto it = entries->rbegin(); it != entries->rend(); ++it)
                std::cout << it->seq << "  " << printable(it->at) << "  " << printable(it->actor) << "  " << printable(it->action) << "  "
                          << printable(it->detail) << "\n";
            return static_cast<int>(Ok);
        };
    });
}

} // namespace kiosk::app::ctl
