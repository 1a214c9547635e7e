#include "cli/commands.hpp"
#include "cli/options.hpp"
#include "core/duration.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "verifier/fetcher.hpp"
#include "verifier/mirror_verifier.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <optional>

namespace squashpub::cli {
namespace {

const char* kHelp = R"(usage: squashpub verify SOURCE [--repo NAME]... [options]

Replays the client against a published tree (a directory, or an http(s) URL)
and runs every check of the specification's verifier list: manifest form,
OpenPGP signature (only the signed body is trusted), Current:, every listed
hash, unlisted files, every delta applied with the independent applier and
compared with the current snapshot, and the initial sync (the snapshot
opened and walked with libsquashfs).

A mirror may serve several repositories from one sha512sum.txt. Without
--repo, every repository a Current: token of the trusted text names is
checked; the summary, JSON and JUnit reports group the results per
repository, and the run fails if any repository fails.

Options:
  --repo NAME          check only this repository (repeatable; default:
                       every repository the signed Current: tokens name)
  --keyring FILE       public keys the manifest must be signed with
  --openpgp MODE       no, yes (check if signed) or required (default:
                       required with --keyring, else no)
  --cache DIR          old images (${repo}-${version}.sqfs) to apply deltas to
  --archive DIR        the publisher's archive (full images), likewise; both
                       repeatable (one archive per repository of a mirror)
  --max-age DURATION   fail when the signed Date: is older than this (7d,
                       36h, 90m) or missing
  --state FILE         remember per mirror and repository the last accepted
                       signed Date: and Current: version; fail when either
                       goes backwards (created if missing, updated only
                       after a fully passing run)
  --jobs N             deltas checked in parallel (default: cores)
  --report FILE        write the JSON report
  --junit FILE         write a JUnit XML report
  --tmpdir DIR         where downloads and rebuilt images go
  --verbose, --quiet

Freshness is read from the signed body only: a Valid-Until: in the past, or
a Date: more than 5 minutes in the future, fails. --max-age and --state
need --keyring: an unsigned Date proves nothing.

Everything the mirror serves is treated as hostile (README: Threat model).
Caps, each a failed check when passed:
  --max-manifest-size BYTES  sha512sum.txt (default 16 MiB)
  --max-file-size BYTES      any listed file (default 4 GiB, the image
                             limit); a delta is also refused once it passes
                             the current snapshot's size
  --timeout SECONDS          the whole run (default 3600; 0: none)
  --min-speed BYTES          minimum average speed of an http transfer, after
                             5 s (default 16384; 0: none)
  --max-redirects N          per request, to http(s) only (default 5)

Exit codes: 0 all good, 1 problems found, 2 usage error, 3 mirror unreachable.
)";

inline constexpr int kExitUnreachable = 3;

void write_text(const std::string& path, const std::string& text) {
    std::ofstream out(path, std::ios::trunc);
    out << text;
    if (!out)
        throw Error(path, "cannot write the report");
}

} // namespace

int run_verify(const Args& args) {
    if (wants_help(args, kHelp))
        return kExitOk;
    OptionSpec spec{{"--repo", "--keyring", "--openpgp", "--cache", "--archive", "--jobs",
                     "--report", "--junit", "--tmpdir", "--max-manifest-size", "--max-file-size",
                     "--timeout", "--min-speed", "--max-redirects", "--max-age", "--state"},
                    {}};
    add_common_options(spec);
    ParsedOptions options("verify", args, spec);
    apply_common_options(options);
    options.expect_positionals(1, "squashpub verify SOURCE [--repo NAME]... [options]");

    verifier::VerifyOptions verify;
    verify.source = options.positionals()[0];
    for (const std::string& repo : options.values("--repo")) {
        // Named by the operator: only emptiness is refused, so that mirrors
        // of other tools stay checkable (names.repo warns on what clients
        // may misread); discovered names must follow the grammar.
        if (repo.empty())
            throw UsageError("verify", "--repo needs a repository name");
        if (std::find(verify.repos.begin(), verify.repos.end(), repo) == verify.repos.end())
            verify.repos.push_back(repo);
    }
    verify.keyring = options.value("--keyring");
    const std::string mode =
        options.value("--openpgp").value_or(verify.keyring ? "required" : "no");
    if (mode == "no")
        verify.openpgp = verifier::OpenPgpMode::no;
    else if (mode == "yes")
        verify.openpgp = verifier::OpenPgpMode::yes;
    else if (mode == "required")
        verify.openpgp = verifier::OpenPgpMode::required;
    else
        throw UsageError("verify", "--openpgp expects no, yes or required, got '" + mode + "'");
    if (verify.openpgp != verifier::OpenPgpMode::no && !verify.keyring)
        throw UsageError("verify", "--openpgp " + mode + " needs --keyring FILE");
    if (auto age = options.value("--max-age"))
        verify.freshness.max_age = parse_duration(*age, "--max-age");
    verify.freshness.state_file = options.value("--state");
    if (verify.freshness.state_file && verify.freshness.state_file->empty())
        throw UsageError("verify", "--state needs a file name");
    if (verify.freshness.requested() && verify.openpgp == verifier::OpenPgpMode::no)
        throw UsageError("verify", "--max-age and --state need --keyring FILE (and not "
                                   "--openpgp no): only a signed Date: proves freshness");
    for (const char* flag : {"--cache", "--archive"})
        for (const std::string& dir : options.values(flag))
            verify.image_dirs.push_back(dir);
    verify.jobs = jobs_option(options);
    verify.temp_dir = options.value("--tmpdir").value_or("");
    verify.max_manifest_bytes =
        options.number("--max-manifest-size", 1, 1ull << 40).value_or(verify.max_manifest_bytes);
    verify.max_file_bytes =
        options.number("--max-file-size", 1, 1ull << 40).value_or(verify.max_file_bytes);
    verify.timeout_seconds = static_cast<unsigned>(
        options.number("--timeout", 0, 7 * 86400).value_or(verify.timeout_seconds));
    verify.min_speed = options.number("--min-speed", 0, 1ull << 40).value_or(verify.min_speed);
    verify.max_redirects =
        static_cast<long>(options.number("--max-redirects", 0, 50).value_or(verify.max_redirects));

    const auto start = std::chrono::steady_clock::now();
    std::optional<verifier::Report> outcome;
    try {
        outcome.emplace(verifier::verify_mirror(verify));
    } catch (const verifier::UnreachableError& e) {
        log_error(std::string("mirror unreachable: ") + e.what());
        return kExitUnreachable;
    }
    const verifier::Report& report = *outcome;
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (auto path = options.value("--report"))
        write_text(*path, report.to_json(verify.source, seconds).dump(2) + "\n");
    if (auto path = options.value("--junit"))
        write_text(*path, report.to_junit(seconds));
    if (verbosity() != Verbosity::quiet || report.has_failures())
        std::fputs(report.summary().c_str(), stdout);
    return report.has_failures() ? kExitFailure : kExitOk;
}

} // namespace squashpub::cli
