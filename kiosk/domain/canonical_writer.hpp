#pragma once
// Builds the canonical text of a merged value (site_merge.hpp): every string
// length-prefixed, every field in a fixed order, so two values are equal
// exactly when their texts are. For comparing projections, never for people.
#include "kiosk/domain/hlc.hpp"
#include "kiosk/domain/time.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace kiosk::domain {

class CanonicalWriter {
public:
    CanonicalWriter& text(std::string_view s) {
        m_out += std::to_string(s.size());
        m_out += ':';
        m_out += s;
        m_out += ';';
        return *this;
    }
    CanonicalWriter& number(long long v) {
        m_out += std::to_string(v);
        m_out += ';';
        return *this;
    }
    CanonicalWriter& time(const std::optional<Timestamp>& t) {
        if (!t) return text("-");
        return number(static_cast<long long>(t->time_since_epoch().count()));
    }
    CanonicalWriter& hlc(const Hlc& h) { return number(h.wallMs).number(h.counter); }
    // Opens a list or record; `mark` names it, so "a list of 2" cannot pass for two fields.
    CanonicalWriter& open(char mark) {
        m_out += mark;
        m_out += '[';
        return *this;
    }
    CanonicalWriter& close() {
        m_out += ']';
        return *this;
    }
    std::string str() && { return std::move(m_out); }
    const std::string& str() const& { return m_out; }

private:
    std::string m_out;
};

} // namespace kiosk::domain
