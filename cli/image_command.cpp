#include "cli/commands.hpp"
#include "cli/options.hpp"
#include "config/image_config.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "generator/image/image_writer.hpp"
#include "generator/source/directory_source.hpp"
#include "generator/source/git_source.hpp"

#include <cstdio>
#include <memory>

namespace squashpub::cli {
namespace {

const char* kHelp = R"(usage: squashpub image [options] SOURCE OUTPUT.sqfs

Builds a reproducible SquashFS 4.0 image. SOURCE is a checkout directory
(taken as it is on disk, .git skipped), or with --rev a git repository,
bare or not, read straight from its object store; files are as a fresh
checkout of REV has them (.gitattributes eol/text and ident applied).

Options:
  --config FILE        read the "image" section of a squashpub config file
  --rev REV            build REV of the git repository SOURCE
  --compressor NAME    lzo (default), lz4, gzip, xz or zstd
  --level N            compression level (lzo: 1-9, default 4)
  --block-size BYTES   data block size, a power of two (default 131072)
  --mtime EPOCH        timestamp of every inode (default: SOURCE_DATE_EPOCH,
                       else the revision's committer time)
  --uid N, --gid N     owner of every file (default 0:0)
  --exclude PATTERN    leave out matching paths (repeatable via config)
  --layout NAME        stable (default): entries keep their place from the
                       --layout-from image; classic: laid out afresh, like
                       mksquashfs
  --layout-from FILE   the previous image of the same tree (yesterday's);
                       unchanged entries keep their bytes and positions, so
                       the delta between the two stays small
  --timestamps NAME    carry (default): unchanged entries keep the previous
                       image's timestamps; revision: all get the image time
  --compact-percent N  rewrite a metadata log once its dead bytes exceed N%
                       of its live ones (default 50)
  --jobs N             compression threads (default: one per core)
  --verbose, --quiet
)";

} // namespace

bool wants_help(const Args& args, const char* help_text) {
    for (const std::string& arg : args) {
        if (arg == "--")
            break;
        if (arg == "--help" || arg == "-h") {
            std::fputs(help_text, stdout);
            return true;
        }
    }
    return false;
}

int run_image(const Args& args) {
    if (wants_help(args, kHelp))
        return kExitOk;
    OptionSpec spec{{"--config", "--rev", "--compressor", "--level", "--block-size", "--mtime",
                     "--uid", "--gid", "--exclude", "--jobs", "--layout", "--layout-from",
                     "--timestamps", "--compact-percent"},
                    {}};
    add_common_options(spec);
    ParsedOptions options("image", args, spec);
    apply_common_options(options);
    options.expect_positionals(2, "squashpub image [options] SOURCE OUTPUT.sqfs");

    config::ImageOptions image;
    if (auto path = options.value("--config"))
        image = config::load_image_options(*path);
    if (auto name = options.value("--compressor")) {
        image.compressor = config::parse_compressor(*name, "--compressor");
        image.level.reset();
    }
    if (auto level = options.number("--level", 0, 22))
        image.level = static_cast<int>(*level);
    if (auto size = options.number("--block-size", 4096, 1 << 20))
        image.block_size = static_cast<uint32_t>(*size);
    if (auto mtime = options.number("--mtime", 0, UINT32_MAX))
        image.mtime = static_cast<uint32_t>(*mtime);
    if (auto uid = options.number("--uid", 0, UINT32_MAX))
        image.uid = static_cast<uint32_t>(*uid);
    if (auto gid = options.number("--gid", 0, UINT32_MAX))
        image.gid = static_cast<uint32_t>(*gid);
    if (auto pattern = options.value("--exclude"))
        image.exclude.push_back(*pattern);
    if (const unsigned jobs = jobs_option(options))
        image.jobs = jobs;
    if (auto layout = options.value("--layout"))
        image.layout = config::parse_layout(*layout, "--layout");
    if (auto timestamps = options.value("--timestamps"))
        image.timestamps = config::parse_timestamps(*timestamps, "--timestamps");
    if (auto percent = options.number("--compact-percent", 1, 1000))
        image.compact_percent = static_cast<unsigned>(*percent);
    config::validate_image_options(image, "image");

    const std::string& source_path = options.positionals()[0];
    const std::string& output_path = options.positionals()[1];
    const generator::ExcludeRules exclude(image.exclude);
    Stopwatch clock;
    std::unique_ptr<generator::TreeSource> source;
    if (auto rev = options.value("--rev"))
        source = std::make_unique<generator::GitSource>(source_path, *rev, exclude);
    else
        source = std::make_unique<generator::DirectorySource>(source_path, exclude);

    log_verbose(source->describe() + ": tree read in " + clock.lap());
    const uint32_t mtime = generator::choose_image_time(image, *source);
    const generator::ImageStats stats = generator::write_image(
        *source, image, mtime, output_path, options.value("--layout-from").value_or(""));
    log_info(output_path + ": " + std::to_string(stats.inodes) + " inodes, " +
             std::to_string(stats.files) + " distinct files, " + format_bytes(stats.input_bytes) +
             " of content, image " + format_bytes(stats.image_bytes) + " (" +
             config::compressor_name(image.compressor) + ")");
    return kExitOk;
}

} // namespace squashpub::cli
