// libFuzzer target: the SquashFS image scanner (every compressed region).
#include "core/error.hpp"
#include "generator/delta/image_scan.hpp"

#include <cstddef>
#include <cstdint>
#include <sys/mman.h>
#include <unistd.h>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const int fd = memfd_create("image", MFD_CLOEXEC);
    if (fd < 0 || write(fd, data, size) != static_cast<ssize_t>(size)) {
        if (fd >= 0)
            close(fd);
        return 0;
    }
    try {
        squashpub::generator::scan_image(fd, "fuzz.sqfs");
    } catch (const squashpub::Error&) {
    }
    close(fd);
    return 0;
}
