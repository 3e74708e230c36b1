#pragma once
// Which URI the state uses for a descriptor value the kiosk offers, where it
// differs from the Ed-Fi one (docs/edfi.md, "Descriptors"): learnt from the
// state's own lists by the site's uploader, shared with every machine of the
// site (roster_facts.hpp), used whenever a record for the state is built.
#include "kiosk/domain/descriptors.hpp"
#include "kiosk/store/store.hpp"

namespace kiosk::store {

Result<domain::DescriptorMap> loadDescriptorMap(Database& db);
// Records the state's URI for a kiosk URI (the same URI: no entry). True when it changed.
Result<bool> setDescriptorMapping(Database& db, std::string_view kioskUri, std::string_view stateUri);

} // namespace kiosk::store
