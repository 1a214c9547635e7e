// libFuzzer target: the .sqdelta header and block list reader.
#include "core/error.hpp"
#include "verifier/sqdelta_reader.hpp"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace squashpub::verifier;
    if (size < kHeaderBytes)
        return 0;
    try {
        DeltaHeader header = parse_header(data, "fuzz");
        const size_t available = (size - kHeaderBytes) / kRecordBytes;
        const uint32_t count =
            header.block_count < available ? header.block_count : static_cast<uint32_t>(available);
        parse_records(data + kHeaderBytes, count, 1u << 30, "fuzz", "source");
    } catch (const squashpub::Error&) {
    }
    return 0;
}
