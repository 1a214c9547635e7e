#pragma once
// What `verify --state FILE` remembers between runs: per mirror (its
// source, normalised) and repository, the last signed Date and Current:
// version it accepted and the versions that Current: has since replaced.
// A later run fails when either goes backwards: a mirror replaying an
// older, correctly signed manifest (rollback), or serving one that lacks
// the Date the last one had.
//
// The file is JSON, written atomically (temporary file, fsync, rename)
// and only after a fully passing run; a corrupt file is refused, never
// silently replaced, since starting afresh forgets what it protects.

#include "core/utc_time.hpp"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace squashpub::verifier {

struct AcceptedRepo {
    std::optional<UtcTime> date; // none while the publisher wrote no Date:
    std::string current;         // the version of Current: ${repo}-${version}
    // Versions Current: named before and replaced since, oldest first (the
    // most recent kMaxReplaced): seeing one again is a rollback.
    std::vector<std::string> replaced;
    UtcTime accepted_at{};
};

inline constexpr size_t kMaxReplaced = 1000;

class AcceptedState {
  public:
    // A missing file is an empty state; an unreadable or corrupt one throws
    // an Error naming the file.
    static AcceptedState load(const std::string& path);
    // Atomically replaces path.
    void save(const std::string& path) const;

    const AcceptedRepo* find(const std::string& mirror, const std::string& repo) const;
    void accept(const std::string& mirror, const std::string& repo, std::optional<UtcTime> date,
                const std::string& version, UtcTime now);

  private:
    std::map<std::string, std::map<std::string, AcceptedRepo>> mirrors_;
};

// The key a source is remembered under: a directory as its absolute,
// lexically normal path (symlinks kept: the name is the mirror); an
// http(s) URL with scheme and host in lower case, without credentials,
// default port or trailing '/'.
std::string mirror_key(const std::string& source);

// Why accepting `date` after `last` would be a rollback; "" when it is not.
// A Date older than the last accepted one, or none after one, fails; the
// same Date again is a mirror that has not changed.
std::string date_rollback(const AcceptedRepo& last, std::optional<UtcTime> date);

// Why `version` after `last` is an older snapshot; "" when it is not. The
// same version again passes; one that Current: named before and was
// replaced fails; and when both are date-like (digits only, same length,
// at least 8: 20260103, 202601031200), one that sorts before the last.
std::string current_rollback(const AcceptedRepo& last, const std::string& version);

} // namespace squashpub::verifier
