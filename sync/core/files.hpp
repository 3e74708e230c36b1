#pragma once
// The three ways the kiosk touches a file it did not make or must not lose
// (docs/architecture.md, "Files"): a bounded read (size and header checked
// before the body is read), a secret read (opened once, then checked with
// fstat — no stat-then-open race) and an atomic write (temporary file in the
// same directory, fsync, rename, fsync of the directory). Header-only so
// every module can use them without a new dependency.
#include "sync/core/result.hpp"

#include <cerrno>
#include <algorithm>
#include <cstring>
#include <cstdlib>
#include <fcntl.h>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <sys/stat.h>
#include <unistd.h>
#include <utility>

namespace edsync::files {

struct ReadRules {
    std::size_t maxBytes = 1u << 20;
    std::string_view magic;    // the file must start with these bytes
    bool jsonObject = false;   // the first non-blank byte (after a UTF-8 BOM) must be '{'
    std::string_view kind = "the expected kind of file";  // for the refusal: "... is not <kind>"
};

// A file's size, or 0 when it has none (missing, unreadable).
inline std::uintmax_t sizeOr0(const std::filesystem::path& p) {
    std::error_code ec;
    auto n = std::filesystem::file_size(p, ec);
    return ec ? 0 : n;
}

namespace detail {

class Fd {
public:
    explicit Fd(int fd) : m_fd(fd) {}
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    ~Fd() {
        if (m_fd >= 0) ::close(m_fd);
    }
    int get() const { return m_fd; }
    int release() { return std::exchange(m_fd, -1); }

private:
    int m_fd;
};

// Reads until `out` holds `upTo` bytes or the file ends.
inline bool readUpTo(int fd, std::string& out, std::size_t upTo) {
    char buf[65536];
    while (out.size() < upTo) {
        std::size_t want = std::min(sizeof buf, upTo - out.size());
        ssize_t n = ::read(fd, buf, want);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return false;
        if (n == 0) break;
        out.append(buf, static_cast<std::size_t>(n));
    }
    return true;
}

inline std::string sizeText(std::size_t bytes) {
    if (bytes >= (1u << 20)) return std::to_string(bytes >> 20) + " MiB";
    if (bytes >= 1024) return std::to_string(bytes >> 10) + " KiB";
    return std::to_string(bytes) + " bytes";
}

inline bool headerMatches(std::string_view head, const ReadRules& rules) {
    if (!rules.magic.empty()) return head.starts_with(rules.magic);
    if (rules.jsonObject) {
        if (head.starts_with("\xEF\xBB\xBF")) head.remove_prefix(3);
        auto first = head.find_first_not_of(" \t\r\n");
        return first != std::string_view::npos && head[first] == '{';
    }
    return true;
}

} // namespace detail

// Reads a regular file whole, after checking its size against the limit and
// its first bytes against the expected header: a huge or foreign file is
// refused without reading its body. Errors name the file and say why.
inline Result<std::string, std::string> readBounded(const std::filesystem::path& file, const ReadRules& rules) {
    detail::Fd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
    if (fd.get() < 0) return fail("cannot read " + file.string() + ": " + std::strerror(errno));
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) return fail("cannot read " + file.string() + ": " + std::strerror(errno));
    if (!S_ISREG(st.st_mode)) return fail(file.string() + " is not a regular file");
    auto size = static_cast<std::size_t>(st.st_size);
    if (size > rules.maxBytes)
        return fail(file.string() + " is too large (" + detail::sizeText(size) + "; at most " + detail::sizeText(rules.maxBytes) +
                    " is read)");
    std::string out;
    // The header first (one small read), then the body.
    std::size_t headBytes = std::min<std::size_t>(size, std::max<std::size_t>(rules.magic.size(), 4096));
    if (!detail::readUpTo(fd.get(), out, headBytes)) return fail("cannot read " + file.string() + ": " + std::strerror(errno));
    if (!detail::headerMatches(out, rules)) {
        std::string want = !rules.magic.empty() ? "it does not start with \"" + std::string(rules.magic) + "\""
                                                : std::string("it is not a JSON object");
        return fail(file.string() + " is not " + std::string(rules.kind) + " (" + want + ")");
    }
    if (!detail::readUpTo(fd.get(), out, rules.maxBytes + 1)) return fail("cannot read " + file.string() + ": " + std::strerror(errno));
    if (out.size() > rules.maxBytes) return fail(file.string() + " grew past " + detail::sizeText(rules.maxBytes) + " while being read");
    return out;
}

// A secret file (credentials, site key): opened once without following a
// symbolic link, then checked on the open descriptor — a regular file, owned
// by this user or root, readable by nobody else, small.
inline Result<std::string, std::string> readSecretFile(const std::filesystem::path& file, std::string_view what,
                                                       std::size_t maxBytes = 64 * 1024) {
    detail::Fd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW | O_NONBLOCK));
    if (fd.get() < 0) return fail("cannot read " + std::string(what) + " " + file.string() + ": " + std::strerror(errno));
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) return fail("cannot read " + std::string(what) + " " + file.string() + ": " + std::strerror(errno));
    if (!S_ISREG(st.st_mode)) return fail(std::string(what) + " " + file.string() + " is not a regular file");
    if (st.st_uid != ::geteuid() && st.st_uid != 0)
        return fail(std::string(what) + " " + file.string() + " belongs to another user (uid " + std::to_string(st.st_uid) +
                    "); it must belong to this account or root");
    if ((st.st_mode & 077) != 0)
        return fail(std::string(what) + " " + file.string() + " can be read by others; make it 0600 (chmod 600)");
    if (static_cast<std::size_t>(st.st_size) > maxBytes)
        return fail(std::string(what) + " " + file.string() + " is too large to be a secret file");
    std::string out;
    if (!detail::readUpTo(fd.get(), out, maxBytes + 1) || out.size() > maxBytes)
        return fail("cannot read " + std::string(what) + " " + file.string());
    return out;
}

struct Owner {
    uid_t uid;
    gid_t gid;
};

// A file written beside its target and not yet in place: `commit()` renames
// it over the target and syncs the directory; dropped uncommitted, it is
// deleted. Several staged files committed one after another keep a set of
// files (enrolment) from being half written when one of them cannot be.
class StagedFile {
public:
    StagedFile(std::filesystem::path target, std::string temp) : m_target(std::move(target)), m_temp(std::move(temp)) {}
    StagedFile(StagedFile&& o) noexcept : m_target(std::move(o.m_target)), m_temp(std::exchange(o.m_temp, std::string())) {}
    StagedFile& operator=(StagedFile&&) = delete;
    StagedFile(const StagedFile&) = delete;
    ~StagedFile() {
        if (!m_temp.empty()) ::unlink(m_temp.c_str());
    }
    const std::filesystem::path& target() const { return m_target; }

    Result<void, std::string> commit() {
        if (::rename(m_temp.c_str(), m_target.c_str()) != 0) return fail("cannot write " + m_target.string() + ": " + std::strerror(errno));
        m_temp.clear();
        std::filesystem::path dir = m_target.has_parent_path() ? m_target.parent_path() : std::filesystem::path(".");
        detail::Fd dirFd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        // The rename is done; a directory that cannot be synced (some USB
        // file systems say EINVAL) still holds the new file.
        if (dirFd.get() >= 0 && ::fsync(dirFd.get()) != 0 && errno != EINVAL)
            return fail("cannot sync " + dir.string() + ": " + std::strerror(errno));
        return {};
    }

private:
    std::filesystem::path m_target;
    std::string m_temp;
};

// Writes `bytes` to a temporary file in the target's directory with `mode`
// (and owner) and fsyncs it; nothing is in place until `commit()`.
inline Result<StagedFile, std::string> stageFile(const std::filesystem::path& target, std::string_view bytes, mode_t mode,
                                                 std::optional<Owner> owner = std::nullopt) {
    std::filesystem::path dir = target.has_parent_path() ? target.parent_path() : std::filesystem::path(".");
    std::string temp = (dir / ("." + target.filename().string() + ".XXXXXX")).string();
    int raw = ::mkostemp(temp.data(), O_CLOEXEC);
    if (raw < 0) return fail("cannot write " + target.string() + ": " + std::strerror(errno));
    StagedFile staged(target, temp);  // deletes the temporary file on any failure below
    detail::Fd fd(raw);
    auto failWith = [&](int err) { return fail("cannot write " + target.string() + ": " + std::strerror(err)); };
    if (::fchmod(fd.get(), mode) != 0) return failWith(errno);
    if (owner && ::fchown(fd.get(), owner->uid, owner->gid) != 0) return failWith(errno);
    std::size_t done = 0;
    while (done < bytes.size()) {
        ssize_t n = ::write(fd.get(), bytes.data() + done, bytes.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return failWith(n < 0 ? errno : ENOSPC);
        done += static_cast<std::size_t>(n);
    }
    if (::fsync(fd.get()) != 0) return failWith(errno);
    if (::close(fd.release()) != 0) return failWith(errno);
    return Result<StagedFile, std::string>(std::move(staged));
}

// Temporary file in the same directory, fsync, rename, fsync of the
// directory: a crash leaves the old file or the new one, never half of one.
inline Result<void, std::string> writeAtomically(const std::filesystem::path& target, std::string_view bytes, mode_t mode,
                                                 std::optional<Owner> owner = std::nullopt) {
    auto staged = stageFile(target, bytes, mode, owner);
    if (!staged) return fail(staged.error());
    return staged.value().commit();
}

} // namespace edsync::files
