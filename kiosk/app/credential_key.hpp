#pragma once
// The credential key: 32 random bytes that seal the PIN and birth-date
// hashes in kiosk.db (kiosk/store/credentials.hpp), kept outside the data
// directory so a copied database alone gives none of them away
// (docs/architecture.md, "Personal data at rest").
//
// Where it lives: $TESTSITE_KIOSK_KEY_FILE when set; else
// /etc/testsite-kiosk/credential.key when it exists (the package makes it,
// owned by the kiosk user, 0600); else credential.key in the user's config
// folder ($XDG_CONFIG_HOME, or ~/.config, then testsite-kiosk/), made 0600
// on first use in a folder made 0700.
#include "kiosk/store/store.hpp"

#include <filesystem>
#include <string>

namespace kiosk::app {

std::filesystem::path credentialKeyFile();

// Reads the key (making it first when there is none and `mayCreate`),
// attaches it to the store's connection and seals any hash still bare.
// False with `error` when the key cannot be had or does not fit this store;
// the store is then used without one (its sealed credentials refuse to be
// checked, with that reason).
bool attachCredentialKey(store::Store& store, std::string& error, bool mayCreate = true);

} // namespace kiosk::app
