#include "support/http_server.hpp"

#include "support/test_support.hpp"

#include <chrono>
#include <csignal>
#include <gtest/gtest.h>
#include <sstream>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace squashpub::test {

MirrorServer::MirrorServer(const std::string& directory) {
    set_faults(nlohmann::json::object());
    const std::string port_file = scratch_.file("port");
    pid_ = ::fork();
    if (pid_ == 0) {
        ::execlp("python3", "python3", SQUASHPUB_MIRROR_SERVER, directory.c_str(),
                 scratch_.file("faults.json").c_str(), port_file.c_str(),
                 scratch_.file("requests.log").c_str(), nullptr);
        ::_exit(127);
    }
    for (int i = 0; i < 100 && !exists(port_file); ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    EXPECT_TRUE(exists(port_file)) << "the test HTTP server did not start";
    if (exists(port_file))
        port_ = std::stoi(read_file(port_file));
}

MirrorServer::~MirrorServer() {
    if (pid_ > 0) {
        ::kill(pid_, SIGTERM);
        ::waitpid(pid_, nullptr, 0);
    }
}

void MirrorServer::set_faults(const nlohmann::json& faults) const {
    write_file(scratch_.file("faults.json"), faults.dump());
}

std::vector<std::string> MirrorServer::requests() const {
    std::vector<std::string> names;
    if (!exists(scratch_.file("requests.log")))
        return names;
    std::istringstream lines(read_file(scratch_.file("requests.log")));
    for (std::string line; std::getline(lines, line);)
        names.push_back(line);
    return names;
}

void MirrorServer::clear_requests() const {
    write_file(scratch_.file("requests.log"), "");
}

} // namespace squashpub::test
