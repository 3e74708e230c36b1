// libFuzzer: the state token file (<data dir>/state-token.json), which every
// process of a kiosk reads (FileTokenStore::load, sync/edfi/token_file.cpp).
// Anyone who can write the data directory can put anything there. The input
// is the file's bytes, written 0600 to a temporary file.
//
// What must hold: a token that loads saves and loads back the same, the file
// then 0600; a token for one (token URL, client) never loads for another;
// forget removes only a token of its own.
#include "sync/edfi/token_file.hpp"

#include <cstdint>
#include <cstdlib>
#include <fcntl.h>
#include <filesystem>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

namespace {

constexpr std::string_view kUrl = "https://ods.example.org/oauth/token";
constexpr std::string_view kClient = "kiosk";

const std::filesystem::path& tokenFile() {
    static const std::filesystem::path file = [] {
        std::string dir = (std::filesystem::temp_directory_path() / "fuzz-token-XXXXXX").string();
        if (!::mkdtemp(dir.data())) __builtin_trap();
        static std::string made = dir;
        std::atexit([] { std::error_code ec; std::filesystem::remove_all(made, ec); });  // libFuzzer ends with exit()
        return std::filesystem::path(dir) / "state-token.json";
    }();
    return file;
}

void writeFile(const std::filesystem::path& file, const std::uint8_t* data, std::size_t size) {
    ::unlink(file.c_str());
    int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) __builtin_trap();
    std::size_t done = 0;
    while (done < size) {
        ssize_t n = ::write(fd, data + done, size - done);
        if (n <= 0) __builtin_trap();
        done += static_cast<std::size_t>(n);
    }
    ::close(fd);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto& file = tokenFile();
    writeFile(file, data, size);
    edsync::edfi::FileTokenStore store(file);
    auto loaded = store.load(kUrl, kClient);
    // A file names one owner (a hash of token URL and client): it never loads for two.
    const bool forAnother = store.load(kUrl, "another-client") || store.load("https://other.example.org/oauth/token", kClient);
    if (loaded && forAnother) __builtin_trap();
    if (loaded) {
        store.save(kUrl, kClient, *loaded);
        struct stat st {};
        if (::stat(file.c_str(), &st) != 0 || (st.st_mode & 0777) != 0600) __builtin_trap();
        auto back = store.load(kUrl, kClient);
        if (!back || back->accessToken != loaded->accessToken || back->issuedAtUnixMs != loaded->issuedAtUnixMs ||
            back->reuseUntilUnixMs != loaded->reuseUntilUnixMs)
            __builtin_trap();
        store.forget(kUrl, "another-client");
        if (!std::filesystem::exists(file)) __builtin_trap();
        store.forget(kUrl, kClient);
        if (std::filesystem::exists(file)) __builtin_trap();
    }
    return 0;
}
