#pragma once
// A strict walk over the window headers of a VCDIFF stream (RFC 3284 with
// xdelta3's extensions: VCD_SECONDARY, VCD_CODETABLE and VCD_APPHEADER in
// the file header, VCD_ADLER32 in the window indicator). Each window's
// delta encoding is skipped by its declared length, never decoded, so a
// stream of any size walks in time proportional to its window count.
//
// The sum of the declared target window sizes is exactly what xdelta3 -d
// writes: the applier refuses a delta whose declared expanded target is
// over its cap before running xdelta3 (a delta bomb costs a few reads),
// and caps xdelta3's output at the declared size (a stream that lies is
// killed as it passes it).

#include <cstdint>
#include <string>

namespace squashpub::verifier {

struct VcdiffWindows {
    uint64_t target_bytes = 0; // sum of the windows' target sizes
    uint64_t windows = 0;
};

// Walks the VCDIFF stream in bytes [offset, end) of fd. source_bytes is the
// size of the file xdelta3 reads as its source (the expanded source): a
// VCD_SOURCE segment must lie inside it. Throws an Error naming `subject`
// for a malformed or truncated stream, an integer that overflows 64 bits,
// a segment outside its source and bytes after the last window.
VcdiffWindows walk_vcdiff_windows(int fd, uint64_t offset, uint64_t end, uint64_t source_bytes,
                                  const std::string& subject);

} // namespace squashpub::verifier
