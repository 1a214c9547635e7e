#include "cli/command_line.hpp"
#include "cli/commands.hpp"
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

const HelpText kHelp{"squashpub image [options] SOURCE OUTPUT.sqfs",
                     R"(Builds a reproducible SquashFS 4.0 image. SOURCE is a checkout directory
(taken as it is on disk, .git skipped), or with --rev a git repository,
bare or not, read straight from its object store; files are as a fresh
checkout of REV has them (.gitattributes eol/text and ident applied).
)",
                     ""};

void declare_options(CommandLine& line) {
    line.positional("SOURCE", "a checkout directory, or with --rev a git repository");
    line.positional("OUTPUT.sqfs", "the image to write");
    line.option("--config", "FILE", "read the \"image\" section of a squashpub config file");
    line.option("--rev", "REV", "build REV of the git repository SOURCE");
    line.option("--compressor", "NAME", "lzo (default), lz4, gzip, xz or zstd");
    line.number("--level", "N", 0, 22, "compression level (lzo: 1-9, default 4)");
    line.number("--block-size", "BYTES", 4096, 1 << 20,
                "data block size, a power of two (default 131072)");
    line.number("--mtime", "EPOCH", 0, UINT32_MAX,
                "timestamp of every inode (default: SOURCE_DATE_EPOCH,\n"
                "else the revision's committer time)");
    line.number("--uid", "N", 0, UINT32_MAX, "owner of every file (default 0)");
    line.number("--gid", "N", 0, UINT32_MAX, "group of every file (default 0)");
    line.option("--exclude", "PATTERN", "leave out matching paths (repeatable)");
    line.option("--layout", "NAME",
                "stable (default): entries keep their place from the\n"
                "--layout-from image; classic: laid out afresh, like\n"
                "mksquashfs");
    line.option("--layout-from", "FILE",
                "the previous image of the same tree (yesterday's);\n"
                "unchanged entries keep their bytes and positions, so\n"
                "the delta between the two stays small");
    line.option("--timestamps", "NAME",
                "carry (default): unchanged entries keep the previous\n"
                "image's timestamps; revision: all get the image time");
    line.number("--compact-percent", "N", 1, 1000,
                "rewrite a metadata log once its dead bytes exceed N%\n"
                "of its live ones (default 50)");
    add_jobs_option(line, "compression threads (default: one per core)");
}

config::ImageOptions image_options(const CommandLine& line) {
    config::ImageOptions image;
    if (auto path = line.value("--config"))
        image = config::load_image_options(*path);
    if (auto name = line.value("--compressor")) {
        image.compressor = config::parse_compressor(*name, "--compressor");
        image.level.reset();
    }
    if (auto level = line.number("--level"))
        image.level = static_cast<int>(*level);
    if (auto size = line.number("--block-size"))
        image.block_size = static_cast<uint32_t>(*size);
    if (auto mtime = line.number("--mtime"))
        image.mtime = static_cast<uint32_t>(*mtime);
    if (auto uid = line.number("--uid"))
        image.uid = static_cast<uint32_t>(*uid);
    if (auto gid = line.number("--gid"))
        image.gid = static_cast<uint32_t>(*gid);
    for (const std::string& pattern : line.values("--exclude"))
        image.exclude.push_back(pattern);
    if (const unsigned jobs = jobs_option(line))
        image.jobs = jobs;
    if (auto layout = line.value("--layout"))
        image.layout = config::parse_layout(*layout, "--layout");
    if (auto timestamps = line.value("--timestamps"))
        image.timestamps = config::parse_timestamps(*timestamps, "--timestamps");
    if (auto percent = line.number("--compact-percent"))
        image.compact_percent = static_cast<unsigned>(*percent);
    config::validate_image_options(image, "image");
    return image;
}

} // namespace

int run_image(const Args& args) {
    CommandLine line("image", kHelp);
    declare_options(line);
    if (!line.parse(args))
        return kExitOk;
    const config::ImageOptions image = image_options(line);

    const std::string& source_path = line.positionals()[0];
    const std::string& output_path = line.positionals()[1];
    const generator::ExcludeRules exclude(image.exclude);
    Stopwatch clock;
    std::unique_ptr<generator::TreeSource> source;
    if (auto rev = line.value("--rev"))
        source = std::make_unique<generator::GitSource>(source_path, *rev, exclude);
    else
        source = std::make_unique<generator::DirectorySource>(source_path, exclude);

    log_verbose(source->describe() + ": tree read in " + clock.lap());
    const uint32_t mtime = generator::choose_image_time(image, *source);
    const generator::ImageStats stats = generator::write_image(
        *source, image, mtime, output_path, line.value("--layout-from").value_or(""));
    log_info(output_path + ": " + std::to_string(stats.inodes) + " inodes, " +
             std::to_string(stats.files) + " distinct files, " + format_bytes(stats.input_bytes) +
             " of content, image " + format_bytes(stats.image_bytes) + " (" +
             config::compressor_name(image.compressor) + ")");
    return kExitOk;
}

} // namespace squashpub::cli
