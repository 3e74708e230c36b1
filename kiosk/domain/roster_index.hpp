#pragma once
// In-memory search over a session's roster: per keystroke, every word the
// proctor typed must be the prefix of a word of the student's name or ID.
// A sorted token array answers the first word by binary search, so a lookup
// costs O(log n + matches), not a scan of the whole roster.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace kiosk::domain {

struct RosterEntry {
    std::string studentId;
    std::string displayName;  // "Surname, First Middle", as the roster spells it, diacritics kept
};

class RosterIndex {
public:
    void build(const std::vector<RosterEntry>& entries);
    // Positions into the entries given to build(), best match first
    // (exact ID, then surname/first-name prefix), at most `limit`.
    std::vector<std::uint32_t> search(std::string_view query, std::size_t limit) const;
    // How many entries match `query` in all, when search() was cut at its limit.
    std::size_t countMatches(std::string_view query) const;
    std::size_t size() const { return m_folded.size(); }

private:
    struct Token {
        std::string text;
        std::uint32_t entry;
        std::uint8_t position;  // word number in the display name: "Kim, Lee" ranks a surname match first
    };
    std::vector<Token> m_tokens;           // sorted by text
    std::vector<std::string> m_folded;     // whole folded name + id per entry, space separated
    std::vector<std::string> m_foldedIds;  // folded ID per entry, for exact-ID ranking
};

} // namespace kiosk::domain
