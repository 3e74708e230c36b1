#pragma once
// Rows of the kiosk's own tables: the domain's records.
#include "kiosk/domain/roster.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace kiosk::store {

// The store reads and writes the domain's records (kiosk/domain/roster.hpp).
using domain::Registration;
using domain::RosterRow;
using domain::SessionCounts;
using domain::SessionInfo;
using domain::Student;

} // namespace kiosk::store
