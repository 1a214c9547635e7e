#pragma once
// A test hook for crash safety: with SQUASHPUB_CRASH_AFTER=<step>, the
// process kills itself with SIGKILL right after that step, so tests can
// check that every interrupted run leaves a valid mirror behind and that
// the next run recovers.

#include <string>

namespace squashpub::publisher {

void crash_point(const std::string& step);

} // namespace squashpub::publisher
