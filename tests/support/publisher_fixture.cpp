#include "support/publisher_fixture.hpp"

#include <algorithm>
#include <ctime>
#include <fcntl.h>
#include <filesystem>
#include <gtest/gtest.h>
#include <sys/statvfs.h>
#include <unistd.h>

namespace squashpub::test {

namespace {

// Day 1 is 2026-01-01; days past the 31st run on into February and later.
std::string calendar_day(int day, const char* format) {
    std::tm start = {};
    start.tm_year = 2026 - 1900;
    start.tm_mday = day;
    const std::time_t time = timegm(&start); // normalises the day of month
    std::tm utc;
    gmtime_r(&time, &utc);
    char text[32];
    std::strftime(text, sizeof text, format, &utc);
    return text;
}

} // namespace

std::string PublisherFixture::version(int day) {
    return calendar_day(day, "%Y%m%d");
}

PublisherFixture::PublisherFixture(int days, GpgKeyring::KeyState key)
    : keyring_(std::make_unique<GpgKeyring>(key)) {
    const std::string repo = path("repo");
    shell("git init -q '" + repo + "'");
    for (int day = 1; day <= days; ++day) {
        for (int i = 0; i < 40; ++i) {
            std::string text;
            for (int k = 0; k < 20 + 15 * i; ++k)
                text += "EAPI=8 # line " + std::to_string(k) + " of package " + std::to_string(i) +
                        "\n";
            if (i % 7 == day % 7)
                text += "# bumped on day " + std::to_string(day) + "\n";
            write_file(repo + "/cat-" + std::to_string(i % 4) + "/pkg" + std::to_string(i) +
                           "/pkg.ebuild",
                       text);
        }
        write_file(repo + "/new/day" + std::to_string(day), "added\n");
        const std::string date = calendar_day(day, "%Y-%m-%dT12:00:00+0000");
        shell("cd '" + repo + "' && git add -A && GIT_AUTHOR_DATE=" + date +
              " GIT_COMMITTER_DATE=" + date +
              " git -c user.name=t -c user.email=t@t commit -q -m day" + std::to_string(day) +
              " && git tag d" + std::to_string(day));
    }
}

std::string PublisherFixture::config(const nlohmann::json& overrides) {
    nlohmann::json json = {{"repo", "test"},
                           {"source", path("repo")},
                           {"rev", "HEAD"},
                           {"mirror_dir", path("mirror")},
                           {"archive_dir", path("archive")},
                           {"state_dir", path("state")},
                           {"grace_generations", 0},
                           {"signing",
                            {{"key", keyring_->fingerprint()},
                             {"gnupg_home", keyring_->home()},
                             {"passphrase_file", keyring_->passphrase_file()}}}};
    json.update(overrides);
    config_path_ = path("publisher.json");
    write_file(config_path_, json.dump(2));
    return config_path_;
}

CommandResult PublisherFixture::run(const std::vector<std::string>& args,
                                    const std::vector<std::string>& env) {
    if (config_path_.empty())
        config();
    std::vector<std::string> argv = {"env"};
    argv.insert(argv.end(), env.begin(), env.end());
    argv.push_back(SQUASHPUB_BINARY);
    argv.insert(argv.end(), args.begin(), args.end());
    argv.insert(argv.end(), {"--config", config_path_});
    return test::run(argv);
}

CommandResult PublisherFixture::publish(int day, const std::vector<std::string>& extra,
                                        const std::vector<std::string>& env) {
    std::vector<std::string> args = {"publish", "--quiet", "--rev", "d" + std::to_string(day)};
    args.insert(args.end(), extra.begin(), extra.end());
    return run(args, env);
}

MirrorExpectations PublisherFixture::expect() const {
    MirrorExpectations expect;
    expect.repo = "test";
    expect.mirror_dir = path("mirror");
    expect.archive_dir = path("archive");
    expect.keyring = keyring_.get();
    return expect;
}

std::string PublisherFixture::config_for(const std::string& repo, const nlohmann::json& overrides) {
    const std::string saved = config_path_;
    nlohmann::json json = {{"repo", repo},
                           {"archive_dir", path("archive-" + repo)},
                           {"state_dir", path("state-" + repo)}};
    json.update(overrides);
    const std::string written = config(json);
    const std::string target = path("publisher-" + repo + ".json");
    std::filesystem::rename(written, target);
    config_path_ = saved;
    return target;
}

CommandResult PublisherFixture::publish_repo(const std::string& repo, int day,
                                             const std::vector<std::string>& extra,
                                             const std::vector<std::string>& env) {
    std::vector<std::string> argv = {"env"};
    argv.insert(argv.end(), env.begin(), env.end());
    argv.insert(argv.end(),
                {SQUASHPUB_BINARY, "publish", "--quiet", "--rev", "d" + std::to_string(day),
                 "--config", path("publisher-" + repo + ".json")});
    argv.insert(argv.end(), extra.begin(), extra.end());
    return test::run(argv);
}

MirrorExpectations PublisherFixture::expect_repo(const std::string& repo) const {
    MirrorExpectations expect = this->expect();
    expect.repo = repo;
    expect.archive_dir = path("archive-" + repo);
    return expect;
}

std::string PublisherFixture::mirror_fingerprint() const {
    std::string text;
    if (!exists(path("mirror")))
        return "(no mirror)";
    for (const std::string& name : list_dir(path("mirror")))
        if (std::filesystem::is_regular_file(path("mirror") + "/" + name))
            text += name + " " + sha512(path("mirror") + "/" + name) + "\n";
    return text;
}

SmallDisk::SmallDisk(const std::string& path, const std::string& size) : path_(path) {
    std::filesystem::create_directories(path);
    CommandResult mount = run({"mount", "-t", "tmpfs", "-o", "size=" + size, "tmpfs", path});
    mounted_ = mount.exit_code == 0;
    error_ = mount.output;
}

SmallDisk::~SmallDisk() {
    if (mounted_)
        run({"umount", path_});
}

void SmallDisk::fill(const std::string& name, uint64_t left) const {
    struct statvfs info;
    ASSERT_EQ(::statvfs(path_.c_str(), &info), 0);
    const uint64_t free = static_cast<uint64_t>(info.f_bfree) * info.f_frsize;
    ASSERT_GT(free, left);
    const int fd = ::open((path_ + "/" + name).c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    ASSERT_GE(fd, 0);
    EXPECT_EQ(::posix_fallocate(fd, 0, static_cast<off_t>(free - left)), 0);
    ::close(fd);
}

std::string crash_step_name(const ::testing::TestParamInfo<const char*>& info) {
    std::string name = info.param;
    std::replace(name.begin(), name.end(), '-', '_');
    return name;
}

} // namespace squashpub::test
