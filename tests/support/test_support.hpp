#pragma once
// Helpers shared by the tests: temporary trees, running the real squashpub
// binary and the standard tools, and access to the bundled real data.

#include <cstdint>
#include <string>
#include <vector>

namespace squashpub::test {

struct CommandResult {
    int exit_code = -1; // -1: killed by a signal
    std::string output; // stdout and stderr together
};

// Runs a program (searched in PATH) with argv, capturing its output.
CommandResult run(const std::vector<std::string>& argv);
// Runs the squashpub binary under test.
CommandResult squashpub(const std::vector<std::string>& args);
// Runs a command line through /bin/sh; fails the test if it exits non-zero.
std::string shell(const std::string& command);

void write_file(const std::string& path, const std::string& content);
std::string read_file(const std::string& path);
bool exists(const std::string& path);
std::string sha512(const std::string& path);
uint64_t file_size(const std::string& path);
// Names of the entries in a directory, sorted.
std::vector<std::string> list_dir(const std::string& path);
// "status: message" of the first check with this id (and file, if given)
// in a `squashpub verify --report` JSON file; "(no such check)" if none.
std::string report_check(const std::string& report_path, const std::string& id,
                         const std::string& file = "");

// The bare clone of the bundled GURU data, or "" when the bundle is absent.
std::string guru_repository();
// GTEST_SKIP helper text.
inline constexpr const char* kNoDataMessage =
    "../shared/data/guru-2026-06.bundle is absent; real-data test skipped";
// Exports a tag of the GURU data as a plain directory (for mksquashfs).
void export_revision(const std::string& repository, const std::string& rev,
                     const std::string& directory);

// The readers an image must work with.
enum class Reader {
    unsquashfs, // squashfs-tools
    sqfs2tar,   // squashfs-tools-ng (libsquashfs), through tar
    kernel,     // a read-only loop mount
};

// Reads an image with `reader` and compares it with a directory tree:
// types, permission bits, symlink targets, file contents, hard links.
// Returns "" if equal, else a description of the first difference.
std::string compare_image_with_tree(const std::string& image, const std::string& tree,
                                    const std::string& scratch, Reader reader = Reader::unsquashfs);

// Whether this machine lets the tests loop-mount SquashFS images (root,
// loop devices and the squashfs module); checked once.
bool kernel_mounts_available();

} // namespace squashpub::test
