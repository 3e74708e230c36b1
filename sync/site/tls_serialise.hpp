#pragma once
// libnats 3.4 uses one TLS connection from several threads at once; this
// module's SSL_read, SSL_write, SSL_get_error and SSL_shutdown take a lock
// per connection (tls_serialise.cpp; docs/architecture.md, "Site event log": TLS to the hub).

namespace edsync::site {

// Does nothing: calling it links the module (and so its SSL_* functions)
// into every executable that talks to a hub.
void keepTlsSerialised();

} // namespace edsync::site
