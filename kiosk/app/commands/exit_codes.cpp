#include "kiosk/app/commands/exit_codes.hpp"

namespace kiosk::app::ctl {

std::string exitCodeSummary() {
    std::string out;
    for (const auto& e : kExitCodes) {
        if (!out.empty()) out += e.code % 4 == 0 ? ",\n" : ", ";
        out += std::to_string(static_cast<int>(e.code)) + " " + std::string(e.meaning);
    }
    return out;
}

Exit exitFor(edsync::edfi::PassResult result) {
    using R = edsync::edfi::PassResult;
    switch (result) {
    case R::AllSynced: return Ok;
    case R::SomePending: return Pending;
    case R::NeedsAttention: return NeedsAttention;
    case R::Offline: return Offline;
    case R::AuthFailure: return CredentialsRefused;
    case R::Standby: return SiteStandby;
    case R::TokensRefused: return TokensRefused;
    case R::DownloadFailed: return DownloadFailed;
    }
    return DataError;
}

Exit exitFor(CheckOutcome outcome) {
    switch (outcome) {
    case CheckOutcome::Ok: return Ok;
    case CheckOutcome::Unreachable: return Offline;
    case CheckOutcome::WrongCredentials: return CredentialsRefused;
    case CheckOutcome::TlsFailure: return TlsUntrusted;
    case CheckOutcome::NotEdFi: return NotEdFi;
    case CheckOutcome::ServerError: return ServerError;
    }
    return ServerError;
}

Exit exitFor(BundleError::Kind kind) {
    switch (kind) {
    case BundleError::Kind::NotABundle: return InputError;
    case BundleError::Kind::Foreign: return ForeignFile;
    case BundleError::Kind::Tampered: return DamagedFile;
    }
    return DamagedFile;
}

} // namespace kiosk::app::ctl
