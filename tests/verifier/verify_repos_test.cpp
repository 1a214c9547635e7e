// `squashpub verify` without --repo on mirrors several repositories share
// (issue #11): every repository the signed Current: tokens name is checked
// and reported on its own, and only a broken one fails.

#include "support/http_server.hpp"
#include "support/publisher_fixture.hpp"

#include <filesystem>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <set>

namespace squashpub::test {
namespace {

class VerifyRepos : public ::testing::Test {
  protected:
    // Every repository published on every day, in turn.
    void publish(const std::vector<std::string>& repos, int days) {
        repos_ = repos;
        for (const std::string& repo : repos)
            f_.config_for(repo);
        for (int day = 1; day <= days; ++day)
            for (const std::string& repo : repos) {
                CommandResult result = f_.publish_repo(repo, day);
                ASSERT_EQ(result.exit_code, 0) << repo << " day " << day << ": " << result.output;
            }
        ASSERT_EQ(f_.keyring().gpg("--armor --export > '" + f_.path("keyring.asc") + "'"), 0);
    }

    CommandResult verify(const std::string& source, std::vector<std::string> extra = {}) {
        std::vector<std::string> args = {"verify",    source,
                                         "--keyring", f_.path("keyring.asc"),
                                         "--report",  f_.path("report.json"),
                                         "--junit",   f_.path("junit.xml")};
        // Each repository's archive stands in for the old images clients hold.
        for (const std::string& repo : repos_)
            args.insert(args.end(), {"--archive", f_.path("archive-" + repo)});
        args.insert(args.end(), extra.begin(), extra.end());
        return squashpub(args);
    }

    nlohmann::json report() const {
        return nlohmann::json::parse(read_file(f_.path("report.json")));
    }

    // Statuses of the checks with this id about this repository.
    std::set<std::string> statuses(const std::string& repo, const std::string& id) const {
        std::set<std::string> out;
        const nlohmann::json json = report();
        for (const auto& check : json["checks"])
            if (check["repo"] == repo && check["id"] == id)
                out.insert(check["status"].get<std::string>());
        return out;
    }

    std::string delta(const std::string& repo, int from, int to) const {
        return repo + "-" + PublisherFixture::version(from) + "-" + PublisherFixture::version(to) +
               ".sqdelta";
    }

    void flip_byte(const std::string& name) {
        const std::string path = f_.path("mirror/" + name);
        std::string bytes = read_file(path);
        bytes[bytes.size() / 2] = static_cast<char>(bytes[bytes.size() / 2] ^ 1);
        write_file(path, bytes);
    }

    // Every repository reported, each passing, with its own deltas applied.
    void expect_all_pass(const CommandResult& result, int days) {
        EXPECT_EQ(result.exit_code, 0) << result.output;
        const nlohmann::json json = report();
        EXPECT_TRUE(json["ok"].get<bool>());
        EXPECT_EQ(json["repos"].get<std::set<std::string>>(),
                  std::set<std::string>(repos_.begin(), repos_.end()));
        EXPECT_EQ(json["repo"], "");
        for (const std::string& repo : repos_) {
            SCOPED_TRACE(repo);
            EXPECT_TRUE(json["repositories"][repo]["ok"].get<bool>());
            EXPECT_EQ(statuses(repo, "current.token"), std::set<std::string>{"pass"});
            EXPECT_EQ(statuses(repo, "snapshot.walk"), std::set<std::string>{"pass"});
            EXPECT_EQ(statuses(repo, "delta.apply"), std::set<std::string>{"pass"});
            EXPECT_EQ(statuses(repo, "delta.target"), std::set<std::string>{});
            EXPECT_NE(result.output.find("repository " + repo + ": ok"), std::string::npos)
                << result.output;
            EXPECT_NE(read_file(f_.path("junit.xml"))
                          .find("<testsuite name=\"squashpub verify: " + repo + "\""),
                      std::string::npos);
        }
        int applied = 0;
        for (const auto& check : json["checks"])
            applied += check["id"] == "delta.apply";
        EXPECT_EQ(applied, static_cast<int>(repos_.size()) * (days - 1));
    }

    // Only `broken` fails, and the run with it.
    void expect_only_failing(const CommandResult& result, const std::string& broken) {
        EXPECT_EQ(result.exit_code, 1) << result.output;
        const nlohmann::json json = report();
        EXPECT_FALSE(json["ok"].get<bool>());
        for (const std::string& repo : repos_)
            EXPECT_EQ(json["repositories"][repo]["ok"].get<bool>(), repo != broken) << repo;
        EXPECT_EQ(json["repositories"][broken]["counts"]["fail"], 1);
        EXPECT_NE(result.output.find("repository " + broken + ": FAILED"), std::string::npos)
            << result.output;
    }

    PublisherFixture f_{3};
    std::vector<std::string> repos_;
};

TEST_F(VerifyRepos, TwoRepositoriesFromADirectoryAndOverHttp) {
    publish({"gentoo", "overlay"}, 3);
    expect_all_pass(verify(f_.path("mirror")), 3);
    MirrorServer server(f_.path("mirror"));
    expect_all_pass(verify(server.url()), 3);

    flip_byte(delta("overlay", 1, 3));
    expect_only_failing(verify(f_.path("mirror")), "overlay");
    EXPECT_EQ(statuses("overlay", "file.hash").count("fail"), 1u);
    expect_only_failing(verify(server.url()), "overlay");

    // --repo still checks only the one named; the other's files are the
    // mirror's, and a listed file that does not match still fails the run.
    CommandResult one = verify(f_.path("mirror"), {"--repo", "gentoo"});
    EXPECT_EQ(one.exit_code, 1) << one.output;
    EXPECT_EQ(report()["repo"], "gentoo");
    EXPECT_TRUE(report()["repositories"]["gentoo"]["ok"].get<bool>());
    EXPECT_FALSE(report()["repositories"].contains("overlay"));
    EXPECT_EQ(statuses("", "file.hash").count("fail"), 1u);
    EXPECT_NE(read_file(f_.path("junit.xml")).find("<testsuite name=\"squashpub verify\""),
              std::string::npos);
}

TEST_F(VerifyRepos, ThreeRepositoriesOneBroken) {
    publish({"gentoo", "guru", "overlay"}, 2);
    expect_all_pass(verify(f_.path("mirror")), 2);

    flip_byte(delta("guru", 1, 2));
    expect_only_failing(verify(f_.path("mirror")), "guru");
}

TEST_F(VerifyRepos, TokensThatCollideOrAreNotNamesAreReported) {
    f_.config_for("test", {{"signing", nullptr}});
    for (int day = 1; day <= 2; ++day)
        ASSERT_EQ(f_.publish_repo("test", day).exit_code, 0);
    const std::string manifest = f_.path("mirror/sha512sum.txt");
    const std::string current = "Current: test-" + PublisherFixture::version(2);
    std::string text = read_file(manifest);
    ASSERT_NE(text.find(current), std::string::npos) << text;
    // Another repository's token first: the client looking for "test" takes it.
    text.replace(text.find(current), current.size(),
                 "Current: test-kde-" + PublisherFixture::version(2) + " bad$name-1\n" + current);
    write_file(manifest, text);

    CommandResult result =
        squashpub({"verify", f_.path("mirror"), "--report", f_.path("report.json")});
    EXPECT_EQ(result.exit_code, 1) << result.output;
    EXPECT_EQ(report()["repos"], nlohmann::json({"test-kde", "test"}));
    EXPECT_EQ(statuses("test", "current.prefix-collision"), std::set<std::string>{"fail"});
    EXPECT_EQ(statuses("test-kde", "current.listed"), std::set<std::string>{"fail"});
    EXPECT_EQ(statuses("", "names.repo"), std::set<std::string>{"fail"});
}

} // namespace
} // namespace squashpub::test
