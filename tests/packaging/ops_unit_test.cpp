// Operations pieces without a server: the USB export file (seal, open,
// refuse), the site key, the enrolment files, the sync lock and sd_notify.
#include "kiosk/app/config.hpp"
#include "kiosk/app/enrolment.hpp"
#include "kiosk/app/pending_bundle.hpp"
#include "kiosk/app/sd_notify.hpp"
#include "kiosk/app/site_key.hpp"
#include "kiosk/app/sync_lock.hpp"
#include "sync/sqlite/database.hpp"
#include "support/temp_dir.hpp"

#include <doctest/doctest.h>

#include <cstdlib>
#include <cstdio>
#include <set>
#include <fstream>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

using namespace kiosk::app;

namespace {

PendingBundle sampleBundle() {
    PendingBundle b;
    b.manifest = {"0190a1b2-kiosk", "Lab 114 #3", "255901001", "Riverbend High School", "2026-11-23T14:05:00Z"};
    b.records.push_back({"studentAssessments", "tsk-0001|WORKKEYS-AM|604821", 3, R"({"studentAssessmentIdentifier":"tsk-0001","x":"Zoë"})"});
    b.records.push_back({"studentAssessments", "tsk-0002|WORKKEYS-AM|604822", 1, R"({"studentAssessmentIdentifier":"tsk-0002"})"});
    b.records.push_back({"studentProgramEvaluations", "2026-11-23|WR|604823", 2, R"({"evaluationDate":"2026-11-23"})"});
    return b;
}

SiteKey siteKey() { return deriveSiteKey("255901001", "kiosk", "kiosk-secret"); }

mode_t modeOf(const std::filesystem::path& p) {
    struct stat st {};
    REQUIRE(::stat(p.c_str(), &st) == 0);
    return st.st_mode & 07777;
}

} // namespace

TEST_CASE("usb bundle: sealed records open again unchanged on a kiosk with the same site key") {
    auto bundle = sampleBundle();
    std::string file = sealBundle(bundle, siteKey());
    // Nothing of the records is readable in the file.
    CHECK(file.find("tsk-0001") == std::string::npos);
    CHECK(file.find("studentAssessmentIdentifier") == std::string::npos);
    auto opened = openBundle(file, deriveSiteKey("255901001", "kiosk", "kiosk-secret"));
    REQUIRE(opened.ok());
    CHECK(opened->manifest.kioskId == bundle.manifest.kioskId);
    CHECK(opened->manifest.kioskName == "Lab 114 #3");
    CHECK(opened->manifest.siteId == "255901001");
    CHECK(opened->manifest.createdAt == "2026-11-23T14:05:00Z");
    REQUIRE(opened->records.size() == 3);
    for (std::size_t i = 0; i < 3; ++i) {
        CHECK(opened->records[i].resource == bundle.records[i].resource);
        CHECK(opened->records[i].naturalKey == bundle.records[i].naturalKey);
        CHECK(opened->records[i].version == bundle.records[i].version);
        CHECK(opened->records[i].json == bundle.records[i].json);
    }
}

TEST_CASE("usb bundle: the kiosk's events travel with the records, sealed, and open again in order") {
    auto bundle = sampleBundle();
    bundle.facts = {R"({"fact":"attendance","eventId":"e-1","student":"S100001"})", R"({"fact":"work","eventId":"e-2"})"};
    std::string file = sealBundle(bundle, siteKey());
    CHECK(file.find("S100001") == std::string::npos);
    auto opened = openBundle(file, siteKey());
    REQUIRE(opened.ok());
    CHECK(opened->facts == bundle.facts);
    // A file without events (an older kiosk's) opens with none.
    auto plain = openBundle(sealBundle(sampleBundle(), siteKey()), siteKey());
    REQUIRE(plain.ok());
    CHECK(plain->facts.empty());
}

TEST_CASE("usb bundle: every single flipped byte after the magic is refused") {
    std::string file = sealBundle(sampleBundle(), siteKey());
    int refused = 0;
    for (std::size_t i = 8; i < file.size(); ++i) {
        std::string bad = file;
        bad[i] = static_cast<char>(bad[i] ^ 0x01);
        auto opened = openBundle(bad, siteKey());
        REQUIRE_FALSE(opened.ok());
        CHECK(opened.error().kind != BundleError::Kind::NotABundle);
        CHECK(opened.error().message.find("refused") == 0);
        ++refused;
    }
    CHECK(refused == static_cast<int>(file.size()) - 8);
}

TEST_CASE("usb bundle: a byte flipped in the records is reported as altered, with nothing imported") {
    std::string file = sealBundle(sampleBundle(), siteKey());
    file[file.size() / 2] = static_cast<char>(file[file.size() / 2] ^ 0x40);
    auto opened = openBundle(file, siteKey());
    REQUIRE_FALSE(opened.ok());
    CHECK(opened.error().kind == BundleError::Kind::Tampered);
    CHECK(opened.error().message.find("altered or damaged") != std::string::npos);
}

TEST_CASE("usb bundle: a file from another site's key is refused as foreign and names where it came from") {
    std::string file = sealBundle(sampleBundle(), deriveSiteKey("255901001", "kiosk", "kiosk-secret"));
    auto opened = openBundle(file, deriveSiteKey("999900001", "other", "other-secret"));
    REQUIRE_FALSE(opened.ok());
    CHECK(opened.error().kind == BundleError::Kind::Foreign);
    CHECK(opened.error().message.find("site 255901001") != std::string::npos);
}

TEST_CASE("usb bundle: truncated, empty and unrelated files are refused") {
    std::string file = sealBundle(sampleBundle(), siteKey());
    CHECK(openBundle(file.substr(0, file.size() - 1), siteKey()).error().kind == BundleError::Kind::Tampered);
    CHECK(openBundle(file.substr(0, 20), siteKey()).error().kind == BundleError::Kind::Tampered);
    CHECK(openBundle("", siteKey()).error().kind == BundleError::Kind::NotABundle);
    CHECK(openBundle("{\"records\":[]}", siteKey()).error().kind == BundleError::Kind::NotABundle);
    CHECK(openBundle(file + "x", siteKey()).error().kind == BundleError::Kind::Tampered);
}

TEST_CASE("usb bundle: record hashes cover resource, key, version, body and write guard") {
    BundleRecord a{"studentAssessments", "k", 1, "{}"};
    auto h = recordHash(a);
    CHECK(h.size() == 64);
    BundleRecord b = a;
    b.version = 2;
    CHECK(recordHash(b) != h);
    b = a;
    b.naturalKey = "k2";
    CHECK(recordHash(b) != h);
    b = a;
    b.json = "{ }";
    CHECK(recordHash(b) != h);
    // Length-prefixed fields: moving a character across a boundary changes the hash.
    CHECK(recordHash({"ab", "c", 1, "{}"}) != recordHash({"a", "bc", 1, "{}"}));
    // The write guard is covered too, and carried whole through sealing.
    b = a;
    b.etag = "\"5\"";
    CHECK(recordHash(b) != h);
    b.identity = R"({"studentAssessmentIdentifier":"k"})";
    PendingBundle bundle = sampleBundle();
    bundle.records.push_back(b);
    auto opened = openBundle(sealBundle(bundle, siteKey()), siteKey());
    REQUIRE(opened.ok());
    CHECK(opened->records.back().etag == b.etag);
    CHECK(opened->records.back().identity == b.identity);
    CHECK(opened->records.front().etag.empty());
}

TEST_CASE("site key: the same site and credentials give the same key, anything else another one") {
    CHECK(deriveSiteKey("s1", "k", "secret").bytes == deriveSiteKey("s1", "k", "secret").bytes);
    CHECK(deriveSiteKey("s1", "k", "secret").bytes != deriveSiteKey("s2", "k", "secret").bytes);
    CHECK(deriveSiteKey("s1", "k", "secret").bytes != deriveSiteKey("s1", "k", "secreT").bytes);
    CHECK(bundleKeyId(deriveSiteKey("s1", "k", "secret")) != bundleKeyId(deriveSiteKey("s2", "k", "secret")));
    std::string error;
    auto parsed = parseSiteKey(formatSiteKey(siteKey()), error);
    REQUIRE(parsed);
    CHECK(parsed->bytes == siteKey().bytes);
    CHECK_FALSE(parseSiteKey("testsite-site-key-v1 AAAA\n", error));
    CHECK_FALSE(parseSiteKey("hello", error));
}

TEST_CASE("site key: a key file other users can read is refused") {
    kiosk::test::TempDir dir;
    auto file = dir.path() / "site.key";
    std::ofstream(file) << formatSiteKey(siteKey());
    ::chmod(file.c_str(), 0644);
    std::string error;
    CHECK_FALSE(readSiteKey(file, error));
    CHECK(error.find("chmod 600") != std::string::npos);
    ::chmod(file.c_str(), 0600);
    CHECK(readSiteKey(file, error));
}

TEST_CASE("enrolment: writes a configuration that reads back, secrets 0600, escaping quotes") {
    kiosk::test::TempDir dir;
    auto ca = dir.path() / "state-ca.pem";
    std::ofstream(ca) << "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
    EnrolRequest r;
    r.baseUrl = "https://edfi.state.example/api";
    r.siteId = "255901001";
    r.siteName = "Riverbend \"RHS\" High";
    r.kioskName = "Lab 114 #3";
    r.credentials = {"kiosk", "s3cr=t"};
    r.caBundle = ca;
    r.configDir = dir.path() / "etc";
    std::string error;
    auto files = writeEnrolment(r, std::nullopt, error);
    REQUIRE_MESSAGE(files, error);
    CHECK(modeOf(files->credentials) == 0600);
    CHECK(modeOf(files->siteKey) == 0600);
    CHECK(modeOf(files->config) == 0644);
    auto loaded = loadConfig(files->config);
    REQUIRE_MESSAGE(loaded.config, loaded.error);
    REQUIRE(loaded.config->state);
    CHECK(loaded.config->state->baseUrl == r.baseUrl);
    CHECK(loaded.config->state->caBundle == files->caBundle);
    CHECK(loaded.config->kioskName == "Lab 114 #3");
    REQUIRE(loaded.config->site);
    CHECK(loaded.config->site->id == "255901001");
    CHECK(loaded.config->site->name == "Riverbend \"RHS\" High");
    auto creds = readCredentials(files->credentials, error);
    REQUIRE_MESSAGE(creds, error);
    CHECK(creds->key == "kiosk");
    CHECK(creds->secret == "s3cr=t");
    auto key = readSiteKey(*loaded.config->site->keyFile, error);
    REQUIRE(key);
    CHECK(key->bytes == deriveSiteKey("255901001", "kiosk", "s3cr=t").bytes);
}

TEST_CASE("enrolment: refuses plain http, a missing secret and a CA file that is not PEM") {
    kiosk::test::TempDir dir;
    EnrolRequest r;
    r.baseUrl = "http://edfi.state.example/api";
    r.siteId = "1";
    r.kioskName = "k";
    r.credentials = {"kiosk", "secret"};
    r.configDir = dir.path();
    std::string error;
    CHECK_FALSE(writeEnrolment(r, std::nullopt, error));
    CHECK(error.find("https://") != std::string::npos);
    r.baseUrl = "https://edfi.state.example/api";
    r.credentials.secret.clear();
    CHECK_FALSE(writeEnrolment(r, std::nullopt, error));
    r.credentials.secret = "secret";
    auto notPem = dir.path() / "ca.txt";
    std::ofstream(notPem) << "hello";
    r.caBundle = notPem;
    CHECK_FALSE(writeEnrolment(r, std::nullopt, error));
    CHECK(error.find("PEM") != std::string::npos);
    CHECK_FALSE(std::filesystem::exists(dir.path() / "kiosk.toml"));
}

TEST_CASE("enrolment: the site hub's address and certificate go into kiosk.toml, the certificate copied beside it") {
    kiosk::test::TempDir dir;
    auto hubCa = dir.path() / "hub-cert.pem";
    std::ofstream(hubCa) << "-----BEGIN CERTIFICATE-----\nMIIC\n-----END CERTIFICATE-----\n";
    EnrolRequest r;
    r.baseUrl = "https://edfi.state.example/api";
    r.siteId = "255901001";
    r.kioskName = "Lab 114 #3";
    r.credentials = {"kiosk", "secret"};
    r.configDir = dir.path() / "etc";
    r.hub = HubConfig{{"tls://hub.riverbend.lan:4222"}, hubCa};
    r.copyHubCa = true;
    std::string error;
    auto files = writeEnrolment(r, std::nullopt, error);
    REQUIRE_MESSAGE(files, error);
    REQUIRE(files->hubCa);
    CHECK(*files->hubCa == r.configDir / "hub-ca.pem");
    CHECK(std::filesystem::exists(*files->hubCa));
    auto loaded = loadConfig(files->config);
    REQUIRE_MESSAGE(loaded.config, loaded.error);
    REQUIRE(loaded.config->hub);
    CHECK(loaded.config->hub->servers == std::vector<std::string>{"tls://hub.riverbend.lan:4222"});
    CHECK(loaded.config->hub->caFile == files->hubCa);

    // Kept as it is (a re-enrolment keeps the section it found): no copy.
    r.hub = loaded.config->hub;
    r.copyHubCa = false;
    files = writeEnrolment(r, std::nullopt, error);
    REQUIRE_MESSAGE(files, error);
    auto again = loadConfig(files->config);
    REQUIRE_MESSAGE(again.config, again.error);
    REQUIRE(again.config->hub);
    CHECK(again.config->hub->caFile == r.configDir / "hub-ca.pem");

    // A TLS hub without its certificate, or something that is not a hub address, is refused.
    r.hub = HubConfig{{"tls://hub.riverbend.lan:4222"}, std::nullopt};
    CHECK_FALSE(writeEnrolment(r, std::nullopt, error));
    CHECK(error.find("--hub-ca") != std::string::npos);
    r.hub = HubConfig{{"https://hub.riverbend.lan"}, hubCa};
    CHECK_FALSE(writeEnrolment(r, std::nullopt, error));
    CHECK(error.find("--hub-server") != std::string::npos);
}

TEST_CASE("config: a [site] section needs an id") {
    auto r = parseConfig("[site]\nname = \"x\"\n");
    CHECK_FALSE(r.config);
    CHECK(r.error.find("[site] needs id") != std::string::npos);
    r = parseConfig("[site]\nid = \"255901001\"\nkey_file = \"/etc/testsite-kiosk/site.key\"\n");
    REQUIRE(r.config);
    CHECK(r.config->site->keyFile == std::filesystem::path("/etc/testsite-kiosk/site.key"));
}

TEST_CASE("sync lock: a second holder is refused and told who holds it") {
    kiosk::test::TempDir dir;
    std::optional<SyncLock::Holder> holder;
    std::string error;
    auto first = SyncLock::tryAcquire(dir.path(), "serve", holder, error);
    REQUIRE(first);
    CHECK_FALSE(holder);
    auto second = SyncLock::tryAcquire(dir.path(), "kiosk", holder, error);
    CHECK_FALSE(second);
    CHECK(error.empty());
    REQUIRE(holder);
    CHECK(holder->pid == ::getpid());
    CHECK(holder->role == "serve");
    first.reset();
    auto third = SyncLock::tryAcquire(dir.path(), "kiosk", holder, error);
    CHECK(third);
}

TEST_CASE("sd_notify: READY, STATUS and WATCHDOG reach the service manager's socket") {
    kiosk::test::TempDir dir;
    auto path = (dir.path() / "notify").string();
    int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd >= 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    REQUIRE(path.size() < sizeof addr.sun_path);
    std::copy(path.begin(), path.end(), addr.sun_path);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    ::setenv("NOTIFY_SOCKET", path.c_str(), 1);
    ::setenv("WATCHDOG_USEC", "4000000", 1);
    ::unsetenv("WATCHDOG_PID");
    CHECK(underServiceManager());
    REQUIRE(watchdogInterval());
    CHECK(watchdogInterval()->count() == 4'000'000);
    notifyReady("online\n3 waiting");
    notifyWatchdog();
    auto receive = [&] {
        char buf[512];
        ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
    };
    CHECK(receive() == "READY=1\nSTATUS=online 3 waiting");
    CHECK(receive() == "WATCHDOG=1");
    ::unsetenv("NOTIFY_SOCKET");
    ::unsetenv("WATCHDOG_USEC");
    CHECK_FALSE(underServiceManager());
    CHECK_FALSE(watchdogInterval());
    ::close(fd);
}

// Regression: Database::open used to open() and close() an existing file to
// fix its mode, which drops every POSIX lock the process holds on it; another
// process then took itself for the last connection, checkpointed and deleted
// the WAL, and the first connection's later commits went to an unlinked file
// (seen as a running `serve` whose acknowledgements nobody else could see).
TEST_CASE("sqlite: a second connection in one process keeps the first one's commits visible to other processes") {
    kiosk::test::TempDir dir;
    auto file = dir.path() / "kiosk.db";
    auto first = edsync::sqlite::Database::open(file);
    REQUIRE(first);
    REQUIRE(first->exec("CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1);"));
    auto second = edsync::sqlite::Database::open(file);
    REQUIRE(second);
    // Other processes (the sqlite3 shell: no state shared with this one) read
    // and write, then close.
    auto shell = [&](const std::string& sql) {
        std::string command = "sqlite3 '" + file.string() + "' '" + sql + "' 2>&1";
        FILE* pipe = ::popen(command.c_str(), "r");
        REQUIRE(pipe);
        std::string out;
        char buf[256];
        while (std::fgets(buf, sizeof buf, pipe)) out += buf;
        ::pclose(pipe);
        while (!out.empty() && out.back() == '\n') out.pop_back();
        return out;
    };
    CHECK(shell("SELECT count(*) FROM t;") == "1");
    CHECK(shell("INSERT INTO t VALUES (10);").empty());
    REQUIRE(first->exec("INSERT INTO t VALUES (2);"));
    REQUIRE(second->exec("INSERT INTO t VALUES (3);"));
    CHECK(shell("SELECT count(*) FROM t;") == "4");
    CHECK(std::filesystem::exists(dir.path() / "kiosk.db-wal"));
}
