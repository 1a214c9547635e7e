#include "support/mirror_check.hpp"

#include "core/utc_time.hpp"

#include "support/test_support.hpp"

#include <algorithm>
#include <filesystem>
#include <map>
#include <sstream>

namespace fs = std::filesystem;

namespace squashpub::test {
namespace {

// ${repo}-${old}-${new}.sqdelta exactly (versions have no '-'), so that
// another repository's deltas on a shared mirror are not taken for ours.
bool is_delta_of(const std::string& repo, const std::string& name) {
    if (name.rfind(repo + "-", 0) != 0)
        return false;
    const std::string middle = name.substr(repo.size() + 1, name.size() - repo.size() - 9);
    return std::count(middle.begin(), middle.end(), '-') == 1;
}

} // namespace

std::string manifest_body(const MirrorExpectations& expect) {
    const std::string path = expect.mirror_dir + "/sha512sum.txt";
    if (!expect.keyring)
        return read_file(path);
    std::string body;
    if (expect.keyring->gpg("--batch --quiet --output - --decrypt '" + path + "' 2>/dev/null",
                            &body) != 0)
        return "";
    return body;
}

std::string check_mirror(const MirrorExpectations& expect) {
    const std::string manifest_path = expect.mirror_dir + "/sha512sum.txt";
    if (!exists(manifest_path))
        return "no sha512sum.txt";
    if (expect.keyring) {
        std::string output;
        if (expect.keyring->gpg("--batch --verify '" + manifest_path + "'", &output) != 0 ||
            output.find("Good signature") == std::string::npos)
            return "signature does not verify: " + output;
    }
    const std::string body = manifest_body(expect);
    std::istringstream lines(body);
    std::string line, current;
    std::map<std::string, std::string> listed;
    // Issue #12: the body starts with "Date: T" and maybe "Valid-Until: T".
    for (size_t number = 1; std::getline(lines, line); ++number) {
        if ((number == 1 && line.rfind("Date: ", 0) == 0) ||
            (number == 2 && line.rfind("Valid-Until: ", 0) == 0)) {
            if (!parse_utc(line.substr(line.find(' ') + 1)))
                return "malformed freshness line: " + line;
        } else if (line.rfind("Current: ", 0) == 0) {
            // Spec §7.4: the first token for this repository (a shared
            // mirror has one per repository).
            std::istringstream tokens(line.substr(9));
            for (std::string token; tokens >> token;)
                if (current.empty() && token.rfind(expect.repo + "-", 0) == 0)
                    current = token;
        } else if (line.size() > 130 && line.substr(128, 2) == "  ")
            listed[line.substr(130)] = line.substr(0, 128);
        else if (!line.empty())
            return "unexpected line in the signed body: " + line;
    }
    if (current.rfind(expect.repo + "-", 0) != 0)
        return "no Current: " + expect.repo + "-... in the signed body";
    const std::string version = current.substr(expect.repo.size() + 1);
    const std::string snapshot = current + ".sqfs";
    if (!listed.count(snapshot))
        return "current snapshot " + snapshot + " is not listed";
    for (const auto& [name, hash] : listed) {
        const std::string path = expect.mirror_dir + "/" + name;
        if (!exists(path))
            return "listed file missing: " + name;
        if (sha512(path) != hash)
            return "hash mismatch: " + name;
    }
    for (const std::string& name : list_dir(expect.mirror_dir))
        if (name != "sha512sum.txt" && name.front() != '.' && !listed.count(name) &&
            !expect.allowed_unlisted.count(name))
            return "unlisted file in the mirror: " + name;
    const std::string suffix = "-" + version + ".sqdelta";
    for (const auto& [name, hash] : listed) {
        if (!name.ends_with(".sqdelta") || !is_delta_of(expect.repo, name))
            continue;
        if (!name.ends_with(suffix))
            return "delta " + name + " does not lead to the current version";
        if (expect.archive_dir.empty())
            continue;
        const std::string old_version = name.substr(
            expect.repo.size() + 1, name.size() - expect.repo.size() - 1 - suffix.size());
        const std::string old_image =
            expect.archive_dir + "/" + expect.repo + "-" + old_version + ".sqfs";
        if (!exists(old_image))
            return "archive lacks " + old_image;
        const std::string rebuilt = expect.mirror_dir + "/.check-rebuilt.sqfs";
        CommandResult applied =
            squashpub({"apply", "--quiet", old_image, expect.mirror_dir + "/" + name, rebuilt});
        if (applied.exit_code != 0)
            return "apply " + name + " failed: " + applied.output;
        const std::string got = sha512(rebuilt);
        fs::remove(rebuilt);
        if (got != listed[snapshot])
            return "applying " + name + " does not rebuild " + snapshot;
    }
    return "";
}

} // namespace squashpub::test
