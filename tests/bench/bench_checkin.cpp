// bench_checkin: durable check-ins through AttendanceService on a real file
// (WAL, synchronous=FULL): per-commit latency and the sustained rate.
//
// usage: bench_checkin [directory=./bench-data] [check-ins=2000]
// The directory should be on the disk a kiosk would use: on tmpfs an fsync
// costs nothing and the figures mean little (the program says so).
#include "bench_util.hpp"

#include "kiosk/service/attendance_service.hpp"
#include "kiosk/store/demo_data.hpp"
#include "kiosk/store/roster_repo.hpp"
#include "sync/outbox/outbox.hpp"

#include <cstdlib>
#include <filesystem>
#include <fcntl.h>
#include <sys/vfs.h>
#include <unistd.h>

using namespace kiosk;
using namespace kiosk::bench;

namespace {

std::string filesystemName(const std::filesystem::path& dir) {
    struct statfs st {};
    if (::statfs(dir.c_str(), &st) != 0) return "unknown";
    switch (static_cast<unsigned long>(st.f_type)) {
    case 0xEF53: return "ext2/3/4";
    case 0x58465342: return "xfs";
    case 0x9123683E: return "btrfs";
    case 0x01021994: return "tmpfs (fsync is free: figures are optimistic)";
    case 0x794C7630: return "overlayfs";
    default: {
        char buf[32];
        std::snprintf(buf, sizeof buf, "0x%lx", static_cast<unsigned long>(st.f_type));
        return buf;
    }
    }
}

// The disk's own cost of a durable write (4 KB + fdatasync), measured beside
// the check-ins: a shared or throttled disk shows here first.
std::vector<double> rawSyncMs(const std::filesystem::path& dir, int count) {
    std::vector<double> out;
    const auto path = dir / ("bench_fsync-" + std::to_string(::getpid()));
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return out;
    std::string block(4096, 'k');
    for (int i = 0; i < count; ++i) {
        auto start = SteadyClock::now();
        if (::pwrite(fd, block.data(), block.size(), static_cast<off_t>(i % 64) * 4096) < 0 || ::fdatasync(fd) != 0) break;
        out.push_back(microsSince(start) / 1000.0);
    }
    ::close(fd);
    std::error_code ec;
    std::filesystem::remove(path, ec);
    return out;
}

int fail(const std::string& what) {
    std::fprintf(stderr, "bench_checkin: %s\n", what.c_str());
    return 1;
}

} // namespace

int main(int argc, char** argv) {
    const std::filesystem::path dir = argc > 1 ? std::filesystem::path(argv[1]) : std::filesystem::path("bench-data");
    const int wanted = argc > 2 ? std::atoi(argv[2]) : 2000;
    std::filesystem::create_directories(dir);
    const auto file = dir / ("bench_checkin-" + std::to_string(::getpid()) + ".db");

    int measured = 0;
    std::vector<double> latencyMs;
    double totalSeconds = 0;
    std::int64_t pending = 0;
    {
        auto store = store::Store::open(file);  // WAL, synchronous=FULL: what a kiosk runs
        if (!store) return fail(store.error().describe());
        // As the kiosk does: checkpoints off the commit path (it checkpoints when
        // idle; this batch never is, so only the 10,000-page safety valve runs).
        if (auto s = store->db().deferCheckpoints(); !s) return fail(s.error().describe());
        store::DemoOptions options;
        options.students = wanted * 3 / 2 + 3;  // the demo puts two thirds in the first session
        options.now = domain::systemNow();
        if (auto s = store::loadDemo(*store, options); !s) return fail(s.error().describe());
        auto sessions = store::listSessions(store->db());
        if (!sessions || sessions->empty()) return fail("no demo session");
        const std::string sessionId = sessions->front().sessionId;
        auto roster = store::rosterForSession(store->db(), sessionId);
        if (!roster) return fail(roster.error().describe());

        service::AttendanceService svc(*store, domain::systemNow);
        auto opened = svc.openSession(sessionId, "Ms. Rivera");
        if (!opened.saved) return fail(opened.message);

        latencyMs.reserve(static_cast<std::size_t>(wanted));
        auto batchStart = SteadyClock::now();
        for (const auto& row : *roster) {
            if (measured == wanted) break;
            auto start = SteadyClock::now();
            auto r = svc.checkIn(sessionId, row.student.studentUniqueId, "Ms. Rivera", {domain::IdMethod::SchoolId, "", "", ""});
            latencyMs.push_back(microsSince(start) / 1000.0);
            if (!r.saved) return fail("check-in refused: " + r.message);
            ++measured;
        }
        totalSeconds = microsSince(batchStart) / 1e6;
        auto counts = edsync::outbox::counts(store->db());
        if (counts) pending = counts->pending;
    }
    const auto syncBefore = rawSyncMs(dir, 200);
    std::error_code ec;
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(file.string() + suffix, ec);

    header("bench_checkin: durable check-ins through AttendanceService (WAL, synchronous=FULL)");
    row("data directory", dir.string(), "", nullptr);
    row("file system", filesystemName(dir), "", nullptr);
    row("raw 4 KB write + fdatasync p50 (the disk itself)", fixed(percentile(syncBefore, 50), "ms", 2), "", nullptr);
    row("raw 4 KB write + fdatasync p99", fixed(percentile(syncBefore, 99), "ms", 2), "", nullptr);
    row("check-ins committed (one transaction each)", std::to_string(measured), "", nullptr);
    row("outbox records pending afterwards", std::to_string(pending), "", nullptr);
    row("commit latency p50", fixed(percentile(latencyMs, 50), "ms", 2), "", nullptr);
    const double p99 = percentile(latencyMs, 99);
    const bool p99Within = p99 < 10.0;
    row("commit latency p99", fixed(p99, "ms", 2), "p99 < 10 ms", &p99Within);
    row("commit latency max", fixed(percentile(latencyMs, 100), "ms", 2), "", nullptr);
    const double rate = totalSeconds > 0 ? measured / totalSeconds : 0;
    const bool rateWithin = rate >= 1000.0;
    row("sustained rate (whole batch)", fixed(rate, "/s", 0), ">= 1,000/s sustained", &rateWithin);
    metric("checkin_p50_ms", percentile(latencyMs, 50), "ms");
    metric("checkin_p99_ms", p99, "ms");
    metric("checkin_rate_per_s", rate, "/s");
    metric("disk_fdatasync_p50_ms", percentile(syncBefore, 50), "ms");
    return 0;
}
