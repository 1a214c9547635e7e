// The Prometheus textfile-collector file after good and failed runs, read
// back with the reference parser (python3-prometheus-client), not grepped.

#include "support/publisher_fixture.hpp"

#include <chrono>
#include <fcntl.h>
#include <filesystem>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/file.h>
#include <unistd.h>

namespace fs = std::filesystem;

namespace squashpub::test {
namespace {

// Every sample as {"name|label=value,...": value}, plus "#type name" and
// "#help name" entries, from prometheus_client's own parser.
nlohmann::json parse_metrics(const std::string& path) {
    const std::string script = R"(
import json, sys
from prometheus_client.parser import text_string_to_metric_families
out = {}
for family in text_string_to_metric_families(open(sys.argv[1]).read()):
    out["#type " + family.name] = family.type
    out["#help " + family.name] = family.documentation
    for s in family.samples:
        labels = ",".join(k + "=" + v for k, v in sorted(s.labels.items()))
        out[s.name + "|" + labels] = s.value
print(json.dumps(out))
)";
    // Debian's interpreter, where python3-prometheus-client installs (a
    // python3 earlier in PATH, e.g. pyenv's, would not see it).
    CommandResult parsed = run({"/usr/bin/python3", "-c", script, path});
    EXPECT_EQ(parsed.exit_code, 0) << parsed.output;
    return nlohmann::json::parse(parsed.output);
}

double now_seconds() {
    return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

double sample(const nlohmann::json& metrics, const std::string& name,
              const std::string& labels = "") {
    // The parser's labels come sorted by name; labels is at most one.
    std::vector<std::string> all = {"repo=test"};
    if (!labels.empty())
        all.push_back(labels);
    std::sort(all.begin(), all.end());
    std::string key = "squashpub_" + name + "|" + all[0];
    for (size_t i = 1; i < all.size(); ++i)
        key += "," + all[i];
    if (!metrics.contains(key)) {
        ADD_FAILURE() << "no sample " << key << " in " << metrics.dump(1);
        return -1;
    }
    return metrics.at(key).get<double>();
}

TEST(Metrics, GoodRunReportsPhasesSizesAndSuccess) {
    PublisherFixture f(2);
    const std::string file = f.path("textfile/squashpub-test.prom");
    fs::create_directories(f.path("textfile"));
    f.config({{"metrics_file", file}});
    ASSERT_EQ(f.publish(1).exit_code, 0);
    const double before = now_seconds();
    CommandResult second = f.publish(2);
    ASSERT_EQ(second.exit_code, 0) << second.output;

    const nlohmann::json m = parse_metrics(file);
    EXPECT_EQ(m.at("#type squashpub_last_success_timestamp_seconds"), "gauge");
    EXPECT_EQ(sample(m, "last_run_success"), 1);
    EXPECT_EQ(sample(m, "last_run_changed"), 1);
    EXPECT_GE(sample(m, "last_success_timestamp_seconds"), before);
    EXPECT_LE(sample(m, "last_success_timestamp_seconds"), now_seconds());
    EXPECT_GE(sample(m, "last_run_start_timestamp_seconds"), before - 1);
    EXPECT_LE(sample(m, "last_run_start_timestamp_seconds"),
              sample(m, "last_success_timestamp_seconds"));
    for (const char* phase : {"image", "deltas", "sign", "publish"})
        EXPECT_GT(sample(m, "last_run_phase_seconds", std::string("phase=") + phase), 0) << phase;
    EXPECT_GE(sample(m, "last_run_duration_seconds"),
              sample(m, "last_run_phase_seconds", "phase=image"));
    EXPECT_EQ(sample(m, "image_bytes"), file_size(f.path("mirror/test-20260102.sqfs")));
    EXPECT_EQ(sample(m, "deltas_published"), 1);
    EXPECT_EQ(sample(m, "delta_bytes"), file_size(f.path("mirror/test-20260101-20260102.sqdelta")));
    EXPECT_EQ(sample(m, "deltas_rejected", "reason=test_apply"), 0);
    EXPECT_EQ(sample(m, "deltas_rejected", "reason=oversize"), 0);
    EXPECT_EQ(sample(m, "archive_versions"), 2);
    EXPECT_EQ(sample(m, "archive_bytes", "kind=full"),
              file_size(f.path("archive/test-20260101.sqfs")) +
                  file_size(f.path("archive/test-20260102.sqfs")));
    // World-readable (node_exporter runs as another user), no temp left.
    EXPECT_EQ(fs::status(file).permissions() & fs::perms::others_read, fs::perms::others_read);
    EXPECT_EQ(list_dir(f.path("textfile")).size(), 1u);
}

// The fixture's key expires in a year; a key added with a 10-day expiry is
// reported too, so an alert can fire weeks before publishing would fail.
TEST(Metrics, SigningKeyExpiryPerKey) {
    PublisherFixture f(1);
    const std::string soon = f.keyring().add_key("soon", "10d");
    const std::string file = f.path("squashpub-test.prom");
    f.config({{"metrics_file", file},
              {"signing",
               {{"keys", {f.keyring().fingerprint(), soon}},
                {"gnupg_home", f.keyring().home()},
                {"passphrase_file", f.keyring().passphrase_file()}}}});
    CommandResult run = f.publish(1);
    ASSERT_EQ(run.exit_code, 0) << run.output;
    const nlohmann::json m = parse_metrics(file);
    const double now = now_seconds();
    auto expiry = [&](const std::string& fingerprint) {
        return m.value("squashpub_signing_key_expiry_timestamp_seconds|fingerprint=" + fingerprint +
                           ",key=primary,repo=test",
                       -1.0);
    };
    EXPECT_NEAR(expiry(f.keyring().fingerprint()), now + 365 * 86400.0, 2 * 86400.0) << m.dump(1);
    EXPECT_NEAR(expiry(soon), now + 10 * 86400.0, 86400.0) << m.dump(1);
}

TEST(Metrics, FailedRunsCarryTheLastSuccessOver) {
    PublisherFixture f(1);
    const std::string file = f.path("squashpub-test.prom");
    f.config({{"metrics_file", file}});
    // A first run that fails: never succeeded, so the alert fires.
    CommandResult broken = f.run({"publish", "--quiet", "--rev", "no-such-revision"});
    ASSERT_EQ(broken.exit_code, 1) << broken.output;
    nlohmann::json m = parse_metrics(file);
    EXPECT_EQ(sample(m, "last_run_success"), 0);
    EXPECT_EQ(sample(m, "last_success_timestamp_seconds"), 0);

    ASSERT_EQ(f.publish(1).exit_code, 0);
    const double success = sample(parse_metrics(file), "last_success_timestamp_seconds");
    EXPECT_GT(success, 0);

    // A broken source: the run throws; the file still says when it last worked.
    f.config({{"metrics_file", file}, {"source", f.path("no-such-source")}});
    ASSERT_EQ(f.publish(1).exit_code, 1);
    m = parse_metrics(file);
    EXPECT_EQ(sample(m, "last_run_success"), 0);
    EXPECT_EQ(sample(m, "last_run_changed"), 0);
    EXPECT_EQ(sample(m, "last_success_timestamp_seconds"), success);
    EXPECT_GE(sample(m, "last_run_start_timestamp_seconds"), success);
    EXPECT_EQ(sample(m, "archive_versions"), 1);

    // Without the metrics file, the state directory remembers; without the
    // state's record, the previous metrics file does.
    fs::remove(file);
    ASSERT_EQ(f.publish(1).exit_code, 1);
    EXPECT_EQ(sample(parse_metrics(file), "last_success_timestamp_seconds"), success);
    fs::remove(f.path("state/last-success"));
    ASSERT_EQ(f.publish(1).exit_code, 1);
    EXPECT_EQ(sample(parse_metrics(file), "last_success_timestamp_seconds"), success);
}

TEST(Metrics, FailedRunReportsThePhasesItFinished) {
    PublisherFixture f(2);
    const std::string file = f.path("squashpub-test.prom");
    f.config({{"metrics_file", file}});
    ASSERT_EQ(f.publish(1).exit_code, 0);
    // Refused once the image is built: its version is taken by other content.
    CommandResult failed = f.publish(2, {"--version", "20260101"});
    ASSERT_EQ(failed.exit_code, 1) << failed.output;
    const nlohmann::json m = parse_metrics(file);
    EXPECT_EQ(sample(m, "last_run_success"), 0);
    EXPECT_GT(sample(m, "last_run_phase_seconds", "phase=image"), 0);
    EXPECT_GT(sample(m, "image_bytes"), 0);
}

// The timer firing while a manual run goes on is not a failed night: the
// run holding the lock writes the file when it ends.
TEST(Metrics, ARunThatFindsTheLockTakenLeavesTheFileAlone) {
    PublisherFixture f(1);
    const std::string file = f.path("squashpub-test.prom");
    f.config({{"metrics_file", file}});
    ASSERT_EQ(f.publish(1).exit_code, 0);
    const std::string before = read_file(file);
    const int fd = ::open(f.path("state/lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::flock(fd, LOCK_EX), 0);
    CommandResult locked = f.publish(1);
    ::close(fd);
    EXPECT_EQ(locked.exit_code, 4) << locked.output;
    EXPECT_EQ(read_file(file), before);
}

TEST(Metrics, NoMetricsFileInThePublicMirror) {
    PublisherFixture f(1);
    f.config({{"metrics_file", f.path("mirror/squashpub.prom")}});
    CommandResult refused = f.publish(1);
    EXPECT_EQ(refused.exit_code, 2) << refused.output;
    EXPECT_NE(refused.output.find("metrics_file"), std::string::npos) << refused.output;
    EXPECT_FALSE(exists(f.path("mirror")));
}

// A metrics_file typo naming an existing file that is not ours, or a
// directory: the run fails before anything is published, and the file is
// left as it was (it used to be replaced by metrics, success or failure).
TEST(Metrics, NeverReplacesAFileItDidNotWrite) {
    PublisherFixture f(1);
    const std::string important = f.path("hosts");
    write_file(important, "127.0.0.1 localhost\n");
    f.config({{"metrics_file", important}});
    CommandResult refused = f.publish(1);
    EXPECT_NE(refused.exit_code, 0) << refused.output;
    EXPECT_NE(refused.output.find("did not write"), std::string::npos) << refused.output;
    EXPECT_EQ(read_file(important), "127.0.0.1 localhost\n");
    EXPECT_FALSE(exists(f.path("mirror/sha512sum.txt")));

    fs::create_directories(f.path("textfile"));
    f.config({{"metrics_file", f.path("textfile")}});
    refused = f.publish(1);
    EXPECT_NE(refused.exit_code, 0) << refused.output;
    EXPECT_TRUE(fs::is_directory(f.path("textfile")));
    EXPECT_FALSE(exists(f.path("mirror/sha512sum.txt")));

    write_file(f.path("textfile/squashpub.prom"), ""); // touched by the operator: fine
    f.config({{"metrics_file", f.path("textfile/squashpub.prom")}});
    ASSERT_EQ(f.publish(1).exit_code, 0);
    ASSERT_EQ(f.publish(1).exit_code, 0); // and its own file is replaced
    EXPECT_EQ(sample(parse_metrics(f.path("textfile/squashpub.prom")), "last_run_success"), 1);
}

// systemd's convention: JOURNAL_STREAM names stderr's device:inode.
TEST(Metrics, JournalStreamGivesPriorityPrefixes) {
    PublisherFixture f(1);
    const std::string script = "JOURNAL_STREAM=$(stat -L -c %d:%i /proc/self/fd/2) exec \"$@\"";
    const std::string config = f.config();
    CommandResult journal = run({"sh", "-c", script, "sh", SQUASHPUB_BINARY, "publish", "--verbose",
                                 "--rev", "d1", "--config", config});
    ASSERT_EQ(journal.exit_code, 0) << journal.output;
    EXPECT_NE(journal.output.find("<6>squashpub: built test-20260101.sqfs"), std::string::npos)
        << journal.output;
    CommandResult error = run({"sh", "-c", script, "sh", SQUASHPUB_BINARY, "publish", "--rev",
                               "no-such-revision", "--config", config});
    EXPECT_EQ(error.output.rfind("<3>squashpub: error: ", 0), 0u) << error.output;
    // Not the journal (stderr redirected elsewhere): plain lines.
    CommandResult plain = run({"env", "JOURNAL_STREAM=1:1", SQUASHPUB_BINARY, "publish", "--rev",
                               "no-such-revision", "--config", config});
    EXPECT_EQ(plain.output.rfind("squashpub: error: ", 0), 0u) << plain.output;
}

} // namespace
} // namespace squashpub::test
