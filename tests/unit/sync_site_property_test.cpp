// Property test of the outbox on a site of several kiosks (docs/edfi.md, "A
// site with a hub"): each kiosk folds the site's facts in its own order, so
// its picture of a record goes through its own intermediate versions (a
// write, another body, a withdrawal) before every kiosk ends with the same
// one. The uploader lease moves at random; the holder uploads (the real
// Uploader, against the in-memory Ed-Fi model) only once it has read the
// whole site log and published its own acknowledgements; a holder that loses
// the lease may publish what it still held much later (killed, cut off).
// Once every kiosk has folded the last fact and the site settles, the state
// must hold each record's final version (or nothing, for a withdrawal) and
// no kiosk may keep anything waiting. Each failure names its seed; rerun one
// with KIOSK_PROPERTY_SEED=<seed>, or more with KIOSK_PROPERTY_CASES=<n>.
#include "sync/edfi/store.hpp"
#include "sync/edfi/uploader.hpp"
#include "sync_fakes.hpp"
#include "support/property_seeds.hpp"

#include "sync_doctest.hpp"

#include <cstdlib>
#include <optional>
#include <random>
#include <sstream>

using namespace edsync;
using namespace edsync::edfi;
using namespace edsync::testing;
using namespace std::chrono_literals;

// Named, for the unity build of the sanitizer suite: other tests of this
// binary have their own Kiosk, Site and seeds.
namespace site_outbox_property {
namespace {

constexpr const char* kResource = "studentAssessments";
constexpr int kKeys = 3;

std::string keyName(int k) { return "k" + std::to_string(k); }
std::string identityOf(const std::string& key) { return nlohmann::json{{"naturalKey", key}}.dump(); }
std::string bodyOf(const std::string& key, int v) { return nlohmann::json{{"naturalKey", key}, {"v", v}}.dump(); }

// A decision of a kiosk's fold for one record: a body version, or withdrawn.
using Decision = std::optional<int>;

struct Ack {
    int from = 0;
    std::string key, body, resourceId, etag, order;
    bool deletion = false;
    bool unanswered = false;  // a write sent whose answer was lost (may be at the state)
};

struct Kiosk {
    int index = 0;
    sqlite::Database db;
    FakeHttp http;
    Session session;
    Uploader uploader;
    std::vector<std::vector<Decision>> script;  // per key, the fold's versions in the order this kiosk reaches them
    std::vector<std::size_t> applied;           // per key, how many of them it has reached
    std::vector<Ack> unpublished;               // acknowledged here, not yet on the site log
    std::size_t cursor = 0;                     // how much of the site log it has read
    std::int64_t seq = 0;

    Kiosk(int i, FakeEdfi& server, FakeClock& clock, std::int64_t& wall)
        : index(i), db(sqlite::Database::openInMemory().value()), http(server.handler()),
          session(FakeEdfi::kBase, Credentials{"kiosk", "kiosk-secret"}, http, clock, BackoffPolicy{}, 100 + static_cast<std::uint64_t>(i)),
          uploader(session, http, clock, options(wall), 200 + static_cast<std::uint64_t>(i)) {
        REQUIRE(outbox::migrate(db).ok());
        REQUIRE(edfi::migrate(db).ok());
    }

    UploadOptions options(std::int64_t& wall) {
        UploadOptions o{16, BackoffPolicy{1000ms, 3'600'000ms, 250ms}};
        // As the kiosk stamps what it shares: above every acknowledgement of
        // the record known here, and above the site's wall clock.
        auto share = [this, &wall](Database& d, const outbox::Claim& claim, std::string_view id, std::string_view etag,
                                   bool unanswered) -> sqlite::Status {
            auto known = outbox::ackOrder(d, claim.resource, claim.naturalKey);
            if (!known) return fail(known.error());
            const std::int64_t above = known->empty() ? 0 : std::stoll(*known) + 1;
            char text[32];
            std::snprintf(text, sizeof text, "%015lld", static_cast<long long>(std::max(++wall, above)));
            if (auto s = outbox::setAckOrder(d, claim.resource, claim.naturalKey, text); !s) return s;
            unpublished.push_back(Ack{index, claim.naturalKey, claim.json, std::string(id), std::string(etag), text,
                                      claim.op == outbox::Op::Delete, unanswered});
            if (unanswered) return outbox::setUnansweredOrder(d, claim.resource, claim.naturalKey, text);
            return {};
        };
        o.onAcknowledged = [share](Database& d, const outbox::Claim& claim, std::string_view id, std::string_view etag) {
            return share(d, claim, id, etag, false);
        };
        o.onUnanswered = [share](Database& d, const outbox::Claim& claim) { return share(d, claim, {}, {}, true); };
        return o;
    }

    bool hasRow(const std::string& key) {
        auto kept = outbox::keptRecord(db, kResource, key);
        REQUIRE(kept.ok());
        return kept->has_value();
    }
    void decide(const std::string& key, const Decision& d) {
        auto tx = sqlite::Transaction::begin(db);
        REQUIRE(tx.ok());
        if (d) REQUIRE(outbox::put(db, kResource, key, bodyOf(key, *d), ++seq, identityOf(key)).ok());
        else REQUIRE(outbox::putDeletion(db, kResource, key, identityOf(key), ++seq).ok());
        REQUIRE(tx->commit().ok());
    }
    // Reaches the next version of its fold for one record.
    bool foldNext(int k) {
        auto& n = applied[static_cast<std::size_t>(k)];
        const auto& versions = script[static_cast<std::size_t>(k)];
        if (n >= versions.size()) return false;
        decide(keyName(k), versions[n++]);
        return true;
    }
    bool foldedAll(int k) const { return applied[static_cast<std::size_t>(k)] == script[static_cast<std::size_t>(k)].size(); }
    // What the site applier does with another kiosk's acknowledgement.
    void adopt(const Ack& a) {
        auto tx = sqlite::Transaction::begin(db);
        REQUIRE(tx.ok());
        if (a.unanswered && a.deletion) {
            REQUIRE(outbox::adoptUnansweredDeletion(db, kResource, a.key, a.order).ok());
        } else if (a.unanswered) {
            REQUIRE(outbox::adoptUnanswered(db, kResource, a.key, a.body, a.order).ok());
        } else if (a.deletion) {
            REQUIRE(outbox::adoptDeletion(db, kResource, a.key, a.order).ok());
        } else {
            auto synced = outbox::adoptWrite(db, kResource, a.key, a.body, a.resourceId, a.etag, a.order);
            REQUIRE(synced.ok());
            // The day's record rebuilt from this kiosk's own facts, when they
            // are all here and leave it out (service::rebuildFromStateNews).
            const int k = std::stoi(a.key.substr(1));
            const auto& versions = script[static_cast<std::size_t>(k)];
            if (!*synced && !hasRow(a.key) && foldedAll(k) && !versions.empty() && !versions.back())
                REQUIRE(outbox::putDeletion(db, kResource, a.key, identityOf(a.key), ++seq).ok());
        }
        REQUIRE(tx->commit().ok());
    }
    outbox::Counts counts() {
        auto c = outbox::counts(db);
        REQUIRE(c.ok());
        return *c;
    }
};

struct Site {
    FakeClock clock;
    FakeEdfi server;
    std::int64_t wall = 1'000'000;
    std::vector<std::unique_ptr<Kiosk>> kiosks;
    std::vector<Ack> log;  // the site log: acknowledgements in the order the hub took them
    int holder = 0;
    std::vector<Decision> finals;

    void publish(Kiosk& k) {
        for (auto& a : k.unpublished) log.push_back(std::move(a));
        k.unpublished.clear();
    }
    void readOne(Kiosk& k) {
        const Ack& a = log[k.cursor++];
        if (a.from != k.index) k.adopt(a);
    }
    void readAll(Kiosk& k) {
        while (k.cursor < log.size()) readOne(k);
    }
    // The lease holder uploads only with the site's whole picture (kiosk/app/sync_wiring.cpp).
    // With `loseAnswer`, the first write of the pass reaches the state and
    // its answer never comes back (the link or the uploader died in between).
    void upload(int rounds, bool loseAnswer = false) {
        Kiosk& k = *kiosks[static_cast<std::size_t>(holder)];
        if (k.cursor < log.size() || !k.unpublished.empty()) return;
        if (loseAnswer)
            server.before = [this](const transport::Request& r) -> std::optional<transport::Outcome> {
                if (r.url.find("/data/") == std::string::npos || r.method == transport::Method::Get) return std::nullopt;
                FakeEdfi& edfi = server;
                edfi.before = nullptr;
                (void)edfi.handle(r);
                return noAnswer(transport::FailureKind::Reset, 56);
            };
        for (int i = 0; i < rounds; ++i) {
            auto r = k.uploader.runRound(k.db);
            REQUIRE(r.ok());
            if (r->claimed == 0) break;
        }
        server.before = nullptr;
    }
    // What `sync --now` does once the uplink is back: every retry due now.
    void expedite() {
        for (auto& k : kiosks) REQUIRE(outbox::expediteAllRetries(k->db, clock.unixMs()).ok());
    }
};

std::string describe(Site& site) {
    std::ostringstream out;
    for (int k = 0; k < kKeys; ++k) {
        const std::string key = keyName(k);
        auto at = site.server.stored(kResource, key);
        out << key << ": final " << (site.finals[static_cast<std::size_t>(k)] ? std::to_string(*site.finals[static_cast<std::size_t>(k)]) : "withdrawn")
            << ", state " << (at ? at->dump() : "nothing") << "\n";
        for (auto& kiosk : site.kiosks) {
            out << "  kiosk " << kiosk->index << " folds";
            for (const auto& d : kiosk->script[static_cast<std::size_t>(k)]) out << " " << (d ? std::to_string(*d) : "-");
            auto s = outbox::status(kiosk->db, kResource, key);
            if (s.ok() && s->has_value())
                out << "; row " << outbox::opName((*s)->op) << " v" << (*s)->localVersion << " synced v" << (*s)->syncedVersion << " "
                    << outbox::stateName((*s)->state) << ((*s)->lastHttpStatus ? " " + std::to_string(*(*s)->lastHttpStatus) : "")
                    << ((*s)->lastError ? " (" + *(*s)->lastError + ")" : "");
            else
                out << "; no row";
            out << "\n";
        }
    }
    return out.str();
}

using kiosk::test::propertySeeds;

} // namespace

// `lostAnswers`: now and then a write (or a deletion) reaches the state and
// its answer is lost (the kiosk shares that on the site log:
// UploadOptions::onUnanswered). The whole property is asked then too, but
// for one case left open (docs/edfi.md): a kiosk whose own deletion went
// unanswered may keep it waiting, where the state holds nothing of the
// record; about 1 case in 2,000. KIOSK_PROPERTY_FULL=1 allows not even that.
void run(bool lostAnswers) {
    for (std::uint64_t seed : propertySeeds(lostAnswers ? 9100 : 7100, 300)) {
        CAPTURE(seed);
        std::mt19937_64 rng(seed);
        auto below = [&](int n) { return static_cast<int>(rng() % static_cast<std::uint64_t>(n)); };
        Site site;
        const int kioskCount = 2 + below(3);
        for (int k = 0; k < kKeys; ++k) site.finals.push_back(below(3) == 0 ? Decision{} : Decision{1 + below(3)});
        for (int i = 0; i < kioskCount; ++i) {
            auto kiosk = std::make_unique<Kiosk>(i, site.server, site.clock, site.wall);
            for (int k = 0; k < kKeys; ++k) {
                // Intermediate pictures (each a body or a withdrawal), then the site's final one.
                std::vector<Decision> versions;
                const int steps = below(4);
                for (int s = 0; s < steps; ++s) versions.push_back(below(3) == 0 ? Decision{} : Decision{1 + below(3)});
                versions.push_back(site.finals[static_cast<std::size_t>(k)]);
                kiosk->script.push_back(std::move(versions));
            }
            kiosk->applied.assign(kKeys, 0);
            site.kiosks.push_back(std::move(kiosk));
        }

        // The day: folds, uploads, publications and reads interleaved at random.
        for (int step = 0; step < 120; ++step) {
            site.wall += 1 + below(3);
            Kiosk& k = *site.kiosks[static_cast<std::size_t>(below(kioskCount))];
            switch (below(6)) {
            case 0: k.foldNext(below(kKeys)); break;
            case 1: site.publish(k); break;
            case 2:
                if (k.cursor < site.log.size()) site.readOne(k);
                break;
            case 3: site.readAll(k); break;
            case 4: site.upload(1 + below(2), lostAnswers && below(4) == 0); break;
            case 5:
                if (below(4) == 0) site.holder = below(kioskCount);  // the lease moves (the old holder's news may wait)
                break;
            }
        }
        // Every kiosk reaches the last fact; the site settles: everything
        // published and read, the holder drains, until nothing changes.
        for (auto& k : site.kiosks)
            for (int key = 0; key < kKeys; ++key)
                while (k->foldNext(key)) {}
        for (int pass = 0; pass < 6; ++pass) {
            for (auto& k : site.kiosks) site.publish(*k);
            for (auto& k : site.kiosks) site.readAll(*k);
            if (pass > 0 && below(2) == 0) site.holder = below(kioskCount);
            site.expedite();
            site.upload(20);
        }
        for (auto& k : site.kiosks) site.publish(*k);
        for (auto& k : site.kiosks) site.readAll(*k);

        INFO(describe(site));
        for (int key = 0; key < kKeys; ++key) {
            auto at = site.server.stored(kResource, keyName(key));
            const Decision& final = site.finals[static_cast<std::size_t>(key)];
            CHECK((final ? at.has_value() && at->value("v", 0) == *final : !at.has_value()));
            for (auto& k : site.kiosks) {
                CAPTURE(k->index);
                auto st = outbox::status(k->db, kResource, keyName(key));
                REQUIRE(st.ok());
                if (!st->has_value() || (*st)->state == outbox::State::Synced) continue;
                const bool leftOpen = lostAnswers && !std::getenv("KIOSK_PROPERTY_FULL") && (*st)->op == outbox::Op::Delete &&
                                      (*st)->state == outbox::State::Pending && !final && !at.has_value();
                CHECK_MESSAGE(leftOpen, "a kiosk still has the record waiting or needing attention");
            }
        }
    }
}

} // namespace site_outbox_property

TEST_CASE("property: a site's kiosks folding the same facts in their own orders, the lease moving, end with the state holding each record's final version and nothing waiting") {
    site_outbox_property::run(false);
}

TEST_CASE("property: with writes and deletions whose answers are lost, the site still ends with the state holding each record's final version and nothing waiting") {
    site_outbox_property::run(true);
}
