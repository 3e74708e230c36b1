#pragma once
// BLAKE2b over several fields, each length-prefixed so that ("ab","c") and
// ("a","bc") hash differently (the site key's id, the USB file's record hashes).
#include <sodium.h>

#include <cstdint>
#include <string_view>

namespace kiosk::app {

inline void absorbLengthPrefixed(crypto_generichash_state& state, std::string_view part) {
    unsigned char len[8];
    std::uint64_t n = part.size();
    for (int i = 0; i < 8; ++i) len[i] = static_cast<unsigned char>(n >> (8 * i));
    crypto_generichash_update(&state, len, sizeof len);
    crypto_generichash_update(&state, reinterpret_cast<const unsigned char*>(part.data()), part.size());
}

} // namespace kiosk::app
