#pragma once
// Removes a whole scratch directory tree (downloads, rebuilt images, a
// throwaway GnuPG home) when the process is killed by SIGINT, SIGTERM or
// SIGHUP. core/cleanup removes the files it was told about and empty
// directories; a verify run's scratch directory holds files named by the
// mirror that nobody registers one by one. The handler runs before
// core/cleanup's (which then stops child processes and re-raises), using
// only async-signal-safe calls (open, getdents64, unlinkat, close).

#include <string>

namespace squashpub::verifier {

class TreeOnSignal {
  public:
    explicit TreeOnSignal(const std::string& directory);
    TreeOnSignal(const TreeOnSignal&) = delete;
    TreeOnSignal& operator=(const TreeOnSignal&) = delete;
    ~TreeOnSignal();

  private:
    int slot_ = -1;
};

} // namespace squashpub::verifier
