#pragma once
// Runs tests/support/mirror_server.py on 127.0.0.1 for the lifetime of the
// object; faults are set by rewriting its faults file.

#include "core/files.hpp"

#include <nlohmann/json.hpp>
#include <string>
#include <sys/types.h>
#include <vector>

namespace squashpub::test {

class MirrorServer {
  public:
    explicit MirrorServer(const std::string& directory);
    ~MirrorServer();

    std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/"; }
    void set_faults(const nlohmann::json& faults) const;
    // Decoded names requested so far, in order.
    std::vector<std::string> requests() const;
    void clear_requests() const;

  private:
    TempDir scratch_;
    pid_t pid_ = -1;
    int port_ = 0;
};

} // namespace squashpub::test
