#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <csignal>

int main(int argc, char** argv) {
    // Writing to a connection the proxy has reset must fail a call, not kill
    // the test process (SSL_write does not suppress SIGPIPE).
    std::signal(SIGPIPE, SIG_IGN);
    return doctest::Context(argc, argv).run();
}
