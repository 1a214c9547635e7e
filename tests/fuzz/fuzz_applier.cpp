// libFuzzer target: the independent applier, end to end, on crafted deltas
// against a small real image (tests/fuzz/corpus/image_scan/small-lz4.sqfs):
// header and lists, the VCDIFF window walk, the rebuilt expanded source,
// real xdelta3, the trailer and target list, recompression. Output is
// bounded: any input whose windows declare more than kMaxOutput bytes is
// refused before xdelta3 runs, and xdelta3 may write no more than declared;
// every input must fail cleanly (an Error) or rebuild an image without
// leaving temporary files behind.
#include "core/error.hpp"
#include "core/files.hpp"
#include "verifier/applier.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <fcntl.h>
#include <filesystem>
#include <string>
#include <unistd.h>

namespace {

constexpr uint64_t kMaxOutput = 4u << 20;

struct Workspace {
    squashpub::TempDir dir{"", "fuzz-applier"};
    std::string source = SQUASHPUB_FUZZ_SOURCE_IMAGE;
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace squashpub;
    static Workspace workspace;
    const std::string delta = workspace.dir.file("input.sqdelta");
    const std::string output = workspace.dir.file("out.sqfs");
    {
        UniqueFd fd(::open(delta.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
        write_all(fd.get(), data, size, delta);
    }
    verifier::ApplyOptions options;
    options.temp_dir = workspace.dir.path();
    options.jobs = 1;
    options.max_output = kMaxOutput;
    try {
        verifier::apply_delta(workspace.source, delta, output, options);
        std::filesystem::remove(output);
    } catch (const Error&) {
    }
    // Nothing but the input may remain: no partial output, no work dir.
    size_t entries = 0;
    for (const auto& entry : std::filesystem::directory_iterator(workspace.dir.path()))
        entries += entry.path() != delta;
    if (entries != 0)
        std::abort();
    return 0;
}
