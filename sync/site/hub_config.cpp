#include "sync/site/hub_config.hpp"

#include "sync/core/files.hpp"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <memory>

namespace edsync::site {

namespace {

std::string confQuoted(std::string_view s) {
    std::string out = "\"";
    for (char c : s) {
        if (c == '"' || c == '\\') out.push_back('\\');
        if (c == '\n' || c == '\r') continue;  // cannot appear in a value
        out.push_back(c);
    }
    out.push_back('"');
    return out;
}

SiteError ioError(const std::string& what) { return SiteError{-1, 0, what}; }

// Writes `text` whole with the given mode, replacing any old file: a
// temporary file beside it (created with the mode, never a leftover with
// wider bits), fsync, rename, fsync of the directory.
Status writeFile(const std::filesystem::path& file, std::string_view text, mode_t mode) {
    if (auto s = edsync::files::writeAtomically(file, text, mode); !s) return fail(ioError(s.error()));
    return {};
}

} // namespace

std::string hubConfigText(const HubConfig& c) {
    std::string t;
    t += "# The site hub of TestSite Kiosk (written by the kiosk; edits are overwritten).\n";
    t += "server_name: " + confQuoted(c.serverName) + "\n";
    t += "listen: " + confQuoted(c.listenHost + ":" + std::to_string(c.port)) + "\n";
    t += "max_connections: " + std::to_string(c.maxConnections) + "\n";
    t += "max_payload: " + std::to_string(c.maxPayloadBytes) + "\n";
    t += "jetstream {\n";
    t += "  store_dir: " + confQuoted((c.dataDir / "hub").string()) + "\n";
    t += "  max_file_store: " + std::to_string(c.maxFileStoreBytes) + "\n";
    t += "  max_memory_store: " + std::to_string(c.maxMemoryStoreBytes) + "\n";
    t += "}\n";
    if (!c.certFile.empty()) {
        t += "tls {\n";
        t += "  cert_file: " + confQuoted(c.certFile.string()) + "\n";
        t += "  key_file: " + confQuoted(c.keyFile.string()) + "\n";
        t += "  timeout: 5\n";
        t += "}\n";
    }
    t += "authorization {\n";
    t += "  user: " + confQuoted(c.user) + "\n";
    t += "  password: " + confQuoted(c.password) + "\n";
    t += "  timeout: 5\n";
    t += "}\n";
    return t;
}

Status writeHubConfig(const HubConfig& c, const std::filesystem::path& file) {
    if (c.password.empty()) return fail(ioError("the hub needs a password"));
    return writeFile(file, hubConfigText(c), 0600);
}

Status makeSelfSignedCert(const std::filesystem::path& certFile, const std::filesystem::path& keyFile,
                          const std::string& commonName, const std::vector<std::string>& dnsNames,
                          const std::vector<std::string>& ipAddresses, int days) {
    std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(EVP_EC_gen("P-256"), EVP_PKEY_free);
    if (!key) return fail(ioError("cannot make a key for the hub"));
    std::unique_ptr<X509, decltype(&X509_free)> cert(X509_new(), X509_free);
    if (!cert) return fail(ioError("cannot make a certificate for the hub"));

    X509_set_version(cert.get(), 2);
    unsigned char serial[16];
    std::FILE* urandom = std::fopen("/dev/urandom", "rb");
    bool gotSerial = urandom != nullptr && std::fread(serial, 1, sizeof serial, urandom) == sizeof serial;
    if (urandom != nullptr) std::fclose(urandom);
    if (!gotSerial) return fail(ioError("cannot read /dev/urandom"));
    serial[0] &= 0x7F;  // positive
    BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get()));
    BN_free(bn);
    X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);  // lab clocks drift
    X509_gmtime_adj(X509_getm_notAfter(cert.get()), static_cast<long>(days) * 86400L);
    X509_set_pubkey(cert.get(), key.get());
    X509_NAME* name = X509_get_subject_name(cert.get());
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(commonName.c_str()),
                               -1, -1, 0);
    X509_set_issuer_name(cert.get(), name);

    std::string san;
    for (const auto& d : dnsNames) san += (san.empty() ? "" : ",") + std::string("DNS:") + d;
    for (const auto& ip : ipAddresses) san += (san.empty() ? "" : ",") + std::string("IP:") + ip;
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, cert.get(), cert.get(), nullptr, nullptr, 0);
    std::vector<std::pair<int, std::string>> exts = {
        {NID_basic_constraints, "critical,CA:TRUE"},
        {NID_key_usage, "critical,digitalSignature,keyCertSign"},
        {NID_ext_key_usage, "serverAuth"},
        {NID_subject_key_identifier, "hash"},
    };
    if (!san.empty()) exts.emplace_back(NID_subject_alt_name, san);
    for (const auto& [nid, value] : exts) {
        X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
        if (ext == nullptr) return fail(ioError("cannot add a certificate extension"));
        X509_add_ext(cert.get(), ext, -1);
        X509_EXTENSION_free(ext);
    }
    if (X509_sign(cert.get(), key.get(), EVP_sha256()) == 0) return fail(ioError("cannot sign the hub's certificate"));

    auto toPem = [](auto writer) -> std::string {
        std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
        if (!bio || !writer(bio.get())) return {};
        char* data = nullptr;
        long n = BIO_get_mem_data(bio.get(), &data);
        return std::string(data, static_cast<std::size_t>(n));
    };
    std::string keyPem = toPem([&](BIO* b) {
        return PEM_write_bio_PrivateKey(b, key.get(), nullptr, nullptr, 0, nullptr, nullptr) == 1;
    });
    std::string certPem = toPem([&](BIO* b) { return PEM_write_bio_X509(b, cert.get()) == 1; });
    if (keyPem.empty() || certPem.empty()) return fail(ioError("cannot encode the hub's certificate"));
    if (auto s = writeFile(keyFile, keyPem, 0600); !s) return s;
    return writeFile(certFile, certPem, 0644);
}

} // namespace edsync::site
