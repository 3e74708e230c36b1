#pragma once
// One event per id, whatever order the copies came in (site_merge.hpp, rule 1).
// Internal to the merge folds.
#include "kiosk/domain/site_merge.hpp"

#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace kiosk::domain::detail {

// Keeps one event per id; of two different events under one id, the one whose
// canonicalText() sorts first, and reports the id as duplicate_id_differs.
template <class Event>
std::vector<Event> dedupeById(std::vector<Event>& events, std::vector<MergeConflict>& conflicts) {
    std::map<std::string, std::pair<std::string, std::size_t>> kept;  // id -> (text, index)
    std::set<std::string> differing;
    for (std::size_t i = 0; i < events.size(); ++i) {
        std::string text = canonicalText(events[i]);
        auto [it, fresh] = kept.try_emplace(events[i].id, text, i);
        if (fresh || it->second.first == text) continue;
        differing.insert(events[i].id);
        if (text < it->second.first) it->second = {std::move(text), i};
    }
    for (const auto& id : differing) conflicts.push_back({id, std::string(kConflictDuplicateDiffers), {}});
    std::vector<Event> out;
    out.reserve(kept.size());
    for (auto& entry : kept) out.push_back(std::move(events[entry.second.second]));
    return out;
}

} // namespace kiosk::domain::detail
