#pragma once
// Fills {name} placeholders in a sentence from (name, value) pairs; an
// unknown placeholder stays as written, so a gap shows. The one filler for
// the string tables (accessibility) and the domain's translatable sentences.
#include <string>
#include <string_view>

namespace edsync {

template <class Args>
std::string fillIn(std::string_view pattern, const Args& args) {
    std::string out;
    out.reserve(pattern.size() + 16);
    for (std::size_t i = 0; i < pattern.size();) {
        if (pattern[i] == '{') {
            auto close = pattern.find('}', i);
            if (close != std::string_view::npos) {
                std::string_view name = pattern.substr(i + 1, close - i - 1);
                const std::string* value = nullptr;
                for (const auto& [k, v] : args)
                    if (std::string_view(k) == name) {
                        value = &v;
                        break;
                    }
                if (value != nullptr) {
                    out += *value;
                    i = close + 1;
                    continue;
                }
            }
        }
        out.push_back(pattern[i++]);
    }
    return out;
}

} // namespace edsync
