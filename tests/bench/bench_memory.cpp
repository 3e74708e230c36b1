// bench_memory: resident memory with a 100,000-student roster. Loads the
// roster via loadDemo into a store file, reads the sessions' rosters back and
// builds the search index (what the check-in screen holds), then does the
// same again from a cold reopen. Prints VmHWM (peak RSS) from /proc.
//
// usage: bench_memory [directory=./bench-data] [students=100000]
#include "bench_util.hpp"

#include "kiosk/domain/roster_index.hpp"
#include "kiosk/store/demo_data.hpp"
#include "kiosk/store/ids.hpp"
#include "kiosk/store/roster_repo.hpp"

#include <cstdlib>
#include <filesystem>
#include <sys/wait.h>
#include <unistd.h>

using namespace kiosk;
using namespace kiosk::bench;

namespace {

std::string mb(long kb) { return fixed(static_cast<double>(kb) / 1024.0, "MB"); }

int fail(const std::string& what) {
    std::fprintf(stderr, "bench_memory: %s\n", what.c_str());
    return 1;
}

// Every session's roster into one index, as the kiosk's search does.
bool loadIndex(store::Store& s, std::vector<domain::RosterEntry>& entries, domain::RosterIndex& index) {
    auto sessions = store::listSessions(s.db());
    if (!sessions) return false;
    for (const auto& session : *sessions) {
        auto roster = store::rosterForSession(s.db(), session.sessionId);
        if (!roster) return false;
        for (const auto& row : *roster) entries.push_back({row.student.studentUniqueId, row.student.displayName()});
    }
    index.build(entries);
    return true;
}

} // namespace

// Cold start in a fresh process (exec'd by main): a kiosk restarting with
// the roster already stored. Prints its own table lines.
int coldStart(const std::filesystem::path& file) {
    auto start = SteadyClock::now();
    auto store = store::Store::open(file);
    if (!store) return fail(store.error().describe());
    std::vector<domain::RosterEntry> entries;
    domain::RosterIndex index;
    if (!loadIndex(*store, entries, index)) return fail("cannot read the roster back");
    const double coldMs = microsSince(start) / 1000.0;
    const long peak = procStatusKb("VmHWM");
    const bool within = peak < 100 * 1024;
    row("cold start (new process): peak RSS (VmHWM)", mb(peak), "< 100 MB", &within);
    metric("memory_store_index_peak_mb", static_cast<double>(peak) / 1024.0, "MB");
    row("cold start: RSS with the index built", mb(procStatusKb("VmRSS")), "", nullptr);
    row("cold start: open + read " + std::to_string(index.size()) + " + build index", fixed(coldMs, "ms"),
        "first frame < 500 ms (part of)", nullptr);
    return 0;
}

int main(int argc, char** argv) {
    if (argc == 3 && std::string(argv[1]) == "--cold") return coldStart(argv[2]);
    const std::filesystem::path dir = argc > 1 ? std::filesystem::path(argv[1]) : std::filesystem::path("bench-data");
    const int students = argc > 2 ? std::atoi(argv[2]) : 100000;
    std::filesystem::create_directories(dir);
    const auto file = dir / ("bench_memory-" + std::to_string(::getpid()) + ".db");

    const long atStart = procStatusKb("VmRSS");
    long afterLoadPeak = 0, afterIndexRss = 0, importPeak = 0;
    std::size_t indexed = 0;
    {
        auto store = store::Store::open(file);
        if (!store) return fail(store.error().describe());
        store::DemoOptions options;
        options.students = students;
        options.now = domain::systemNow();
        if (auto s = store::loadDemo(*store, options); !s) return fail(s.error().describe());
        afterLoadPeak = procStatusKb("VmHWM");
        std::vector<domain::RosterEntry> entries;
        domain::RosterIndex index;
        if (!loadIndex(*store, entries, index)) return fail("cannot read the roster back");
        indexed = index.size();
        afterIndexRss = procStatusKb("VmRSS");
        importPeak = procStatusKb("VmHWM");
    }

    header("bench_memory: resident memory with a 100,000-student roster");
    row("students stored and indexed", std::to_string(indexed), "100,000", nullptr);
    row("RSS at start", mb(atStart), "", nullptr);
    row("peak RSS after loadDemo (import)", mb(afterLoadPeak), "", nullptr);
    row("RSS with the index built (same process)", mb(afterIndexRss), "", nullptr);
    const bool importWithin = importPeak < 100 * 1024;
    row("peak RSS, import + index (VmHWM)", mb(importPeak), "< 100 MB", &importWithin);
    std::fflush(stdout);

    pid_t pid = ::fork();
    if (pid == 0) {
        const std::string path = file.string();
        ::execl("/proc/self/exe", "bench_memory", "--cold", path.c_str(), static_cast<char*>(nullptr));
        ::_exit(127);
    }
    int status = 0;
    if (pid > 0) ::waitpid(pid, &status, 0);
    std::error_code ec;
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(file.string() + suffix, ec);
    return pid > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}
