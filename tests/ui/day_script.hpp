#pragma once
// The key scripts of the end-to-end test (tests/e2e/day/*.keys): one
// instruction per line, `#` comments. tests/e2e/type_keys.py types them into
// the real window; day_script_test.cpp replays them headless.
#include "kiosk/domain/time.hpp"

#include <sstream>
#include <string>
#include <vector>

namespace kiosk::test {

enum class DayOp { Step, Title, Focus, Type, Key, Shot };

struct DayLine {
    int number = 0;  // 1-based line in the file
    DayOp op = DayOp::Step;
    std::string text;
    int count = 1;  // how many times a key is pressed
};

struct DayScript {
    std::vector<DayLine> lines;
    std::string error;  // the first line that could not be read
};

inline DayScript parseDayScript(const std::string& text) {
    DayScript out;
    std::istringstream in(text);
    std::string raw;
    for (int number = 1; std::getline(in, raw); ++number) {
        if (raw.empty() || raw[0] == '#') continue;
        auto space = raw.find(' ');
        std::string word = raw.substr(0, space);
        DayLine line;
        line.number = number;
        line.text = space == std::string::npos ? std::string() : raw.substr(space + 1);
        if (word == "step") line.op = DayOp::Step;
        else if (word == "title") line.op = DayOp::Title;
        else if (word == "focus") line.op = DayOp::Focus;
        else if (word == "type") line.op = DayOp::Type;
        else if (word == "shot") line.op = DayOp::Shot;
        else if (word == "key") {
            line.op = DayOp::Key;
            if (auto x = line.text.find(" x"); x != std::string::npos) {
                std::string n = line.text.substr(x + 2);
                line.text = line.text.substr(0, x);
                line.count = n.empty() || n.size() > 2 || n.find_first_not_of("0123456789") != std::string::npos ? 0 : std::stoi(n);
                if (line.count < 1 || line.count > 50) {
                    out.error = "line " + std::to_string(number) + ": a key is pressed 1 to 50 times, not \"x" + n + "\"";
                    return out;
                }
            }
        } else {
            out.error = "line " + std::to_string(number) + ": unknown instruction \"" + word + "\"";
            return out;
        }
        out.lines.push_back(std::move(line));
    }
    return out;
}

// The roster template's @START@ (the session's start, ISO 8601 UTC) and @DATE@.
inline void fillRosterTemplate(std::string& roster, domain::Timestamp start) {
    std::string iso = domain::formatUtc(start);
    auto replaceAll = [&](const std::string& from, const std::string& to) {
        for (auto at = roster.find(from); at != std::string::npos; at = roster.find(from, at + to.size())) roster.replace(at, from.size(), to);
    };
    replaceAll("@START@", iso);
    replaceAll("@DATE@", iso.substr(0, 10));
}

} // namespace kiosk::test
