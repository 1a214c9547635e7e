#include "core/process.hpp"

#include "core/error.hpp"

#include <gtest/gtest.h>

namespace squashpub {
namespace {

TEST(Process, ReportsExitCodeAndStderr) {
    ProcessStatus status = run_process({"sh", "-c", "echo oops >&2; exit 3"}, {});
    EXPECT_TRUE(status.exited);
    EXPECT_EQ(status.exit_code, 3);
    EXPECT_FALSE(status.succeeded());
    EXPECT_EQ(status.stderr_text, "oops");
    EXPECT_EQ(status.describe(), "exited with status 3: oops");
}

TEST(Process, DeathBySignalIsNeverSuccess) {
    // The reference generator's defect D7: a killed xdelta3 counted as success.
    ProcessStatus status = run_process({"sh", "-c", "kill -9 $$"}, {});
    EXPECT_FALSE(status.exited);
    EXPECT_EQ(status.term_signal, 9);
    EXPECT_FALSE(status.succeeded());
    EXPECT_NE(status.describe().find("killed by signal 9"), std::string::npos);
}

TEST(Process, MissingProgramIsAClearError) {
    try {
        run_process({"squashpub-no-such-program"}, {});
        FAIL();
    } catch (const Error& e) {
        EXPECT_EQ(e.subject(), "squashpub-no-such-program");
        EXPECT_NE(e.problem().find("not found"), std::string::npos);
    }
}

TEST(Process, Success) {
    EXPECT_TRUE(run_process({"true"}, {}).succeeded());
}

} // namespace
} // namespace squashpub
