// libFuzzer target: the VCDIFF window walker on arbitrary bytes. It must
// either walk (and then every declared window fits the bytes given) or
// throw an Error; never read past the stream, loop or crash.
#include "core/error.hpp"
#include "core/files.hpp"
#include "verifier/vcdiff_windows.hpp"

#include <cstddef>
#include <cstdint>
#include <fcntl.h>
#include <string>
#include <unistd.h>

namespace {

struct Workspace {
    squashpub::TempDir dir{"", "fuzz-vcdiff"};
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace squashpub;
    static Workspace workspace;
    const std::string path = workspace.dir.file("input.vcdiff");
    UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    // A prefix, so offsets inside the file are exercised as the applier uses them.
    const uint8_t prefix[3] = {1, 2, 3};
    write_all(fd.get(), prefix, sizeof prefix, path);
    write_all(fd.get(), data, size, path);
    try {
        verifier::walk_vcdiff_windows(fd.get(), sizeof prefix, sizeof prefix + size, 1u << 20,
                                      path);
    } catch (const Error&) {
    }
    return 0;
}
