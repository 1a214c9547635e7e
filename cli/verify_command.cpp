#include "cli/command_line.hpp"
#include "cli/commands.hpp"
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

const HelpText kHelp{"squashpub verify SOURCE [--repo NAME]... [options]",
                     R"(Replays the client against a published tree (a directory, or an http(s) URL)
and runs every check of the specification's verifier list: manifest form,
OpenPGP signature (only the signed body is trusted), Current:, every listed
hash, unlisted files, every delta applied with the independent applier and
compared with the current snapshot, and the initial sync (the snapshot
opened and walked with libsquashfs).

A mirror may serve several repositories from one sha512sum.txt. Without
--repo, every repository a Current: token of the trusted text names is
checked; the summary, JSON and JUnit reports group the results per
repository, and the run fails if any repository fails.
)",
                     R"(Freshness is read from the signed body only: a Valid-Until: in the past, or
a Date: more than 5 minutes in the future, fails. --max-age and --state
need --keyring: an unsigned Date proves nothing.

Everything the mirror serves is treated as hostile (README: Threat model);
each cap above is a failed check when passed.

Exit codes: 0 all good, 1 problems found, 2 usage error, 3 mirror unreachable.
)"};

void declare_options(CommandLine& line) {
    line.positional("SOURCE", "the published tree: a directory or an http(s) URL");
    line.option("--repo", "NAME",
                "check only this repository (repeatable; default:\n"
                "every repository the signed Current: tokens name)");
    line.option("--keyring", "FILE", "public keys the manifest must be signed with");
    line.option("--openpgp", "MODE",
                "no, yes (check if signed) or required (default:\n"
                "required with --keyring, else no)");
    line.option("--cache", "DIR", "old images (${repo}-${version}.sqfs) to apply deltas to");
    line.option("--archive", "DIR",
                "the publisher's archive (full images), likewise; both\n"
                "repeatable (one archive per repository of a mirror)");
    line.option("--max-age", "DURATION",
                "fail when the signed Date: is older than this (7d,\n"
                "36h, 90m) or missing");
    line.option("--state", "FILE",
                "remember per mirror and repository the last accepted\n"
                "signed Date: and Current: version; fail when either\n"
                "goes backwards (created if missing, updated only\n"
                "after a fully passing run)");
    add_jobs_option(line, "deltas checked in parallel (default: cores)");
    line.option("--report", "FILE", "write the JSON report");
    line.option("--junit", "FILE", "write a JUnit XML report");
    line.option("--tmpdir", "DIR", "where downloads and rebuilt images go");
    line.group("Caps on what the mirror serves");
    line.number("--max-manifest-size", "BYTES", 1, 1ull << 40, "sha512sum.txt (default 16 MiB)");
    line.number("--max-file-size", "BYTES", 1, 1ull << 40,
                "any listed file (default 4 GiB, the image\n"
                "limit); a delta is also refused once it passes\n"
                "the current snapshot's size");
    line.number("--timeout", "SECONDS", 0, 7 * 86400, "the whole run (default 3600; 0: none)");
    line.number("--min-speed", "BYTES", 0, 1ull << 40,
                "minimum average speed of an http transfer, after\n"
                "5 s (default 16384; 0: none)");
    line.number("--max-redirects", "N", 0, 50, "per request, to http(s) only (default 5)");
}

inline constexpr int kExitUnreachable = 3;

void write_text(const std::string& path, const std::string& text) {
    std::ofstream out(path, std::ios::trunc);
    out << text;
    if (!out)
        throw Error(path, "cannot write the report");
}

} // namespace

int run_verify(const Args& args) {
    CommandLine options("verify", kHelp);
    declare_options(options);
    if (!options.parse(args))
        return kExitOk;

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
        options.number("--max-manifest-size").value_or(verify.max_manifest_bytes);
    verify.max_file_bytes = options.number("--max-file-size").value_or(verify.max_file_bytes);
    verify.timeout_seconds =
        static_cast<unsigned>(options.number("--timeout").value_or(verify.timeout_seconds));
    verify.min_speed = options.number("--min-speed").value_or(verify.min_speed);
    verify.max_redirects =
        static_cast<long>(options.number("--max-redirects").value_or(verify.max_redirects));

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
