#include "kiosk/store/ids.hpp"

#include <sodium.h>

#include <array>
#include <cstdio>
#include <ctime>

namespace kiosk::store {

namespace {
void ensureSodium() {
    static const bool ready = sodium_init() >= 0;
    (void)ready;
}

std::string hex(const unsigned char* p, std::size_t n) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string s;
    s.reserve(n * 2);
    for (std::size_t i = 0; i < n; ++i) {
        s.push_back(kDigits[p[i] >> 4]);
        s.push_back(kDigits[p[i] & 0xF]);
    }
    return s;
}
} // namespace

std::string uuidV7(domain::Timestamp now) {
    ensureSodium();
    std::array<unsigned char, 16> b{};
    randombytes_buf(b.data(), b.size());
    auto ms = static_cast<std::uint64_t>(now.time_since_epoch().count());
    for (int i = 0; i < 6; ++i) b[static_cast<std::size_t>(i)] = static_cast<unsigned char>(ms >> (40 - 8 * i));
    b[6] = static_cast<unsigned char>(0x70 | (b[6] & 0x0F));  // version 7
    b[8] = static_cast<unsigned char>(0x80 | (b[8] & 0x3F));  // RFC variant
    std::string h = hex(b.data(), b.size());
    return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) + "-" + h.substr(20);
}


int localUtcOffsetMinutes() { return localUtcOffsetMinutes(systemNow()); }

int localUtcOffsetMinutes(domain::Timestamp at) {
    auto secs = std::chrono::floor<std::chrono::seconds>(at.time_since_epoch()).count();
    std::time_t t = static_cast<std::time_t>(secs);
    std::tm local{};
    if (!localtime_r(&t, &local)) return 0;
    return static_cast<int>(local.tm_gmtoff / 60);
}

domain::Timestamp localTimeOn(domain::Timestamp day, std::chrono::minutes timeOfDay) {
    const domain::Timestamp wall = day + timeOfDay;  // the wall time read as UTC
    // The offset near the answer, then at it: right on both sides of a change.
    const domain::Timestamp guess = wall - std::chrono::minutes{localUtcOffsetMinutes(wall)};
    return wall - std::chrono::minutes{localUtcOffsetMinutes(guess)};
}

std::string deterministicKey(std::string_view prefix, std::initializer_list<std::string_view> parts) {
    ensureSodium();
    crypto_generichash_state st;
    crypto_generichash_init(&st, nullptr, 0, 16);
    for (std::string_view p : parts) {
        // Length-prefix each part so ("ab","c") and ("a","bc") differ.
        auto len = static_cast<std::uint32_t>(p.size());
        crypto_generichash_update(&st, reinterpret_cast<const unsigned char*>(&len), sizeof len);
        crypto_generichash_update(&st, reinterpret_cast<const unsigned char*>(p.data()), p.size());
    }
    std::array<unsigned char, 16> out{};
    crypto_generichash_final(&st, out.data(), out.size());
    return std::string(prefix) + hex(out.data(), out.size());
}

} // namespace kiosk::store
