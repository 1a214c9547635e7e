#include "support/test_support.hpp"

#include "core/files.hpp"
#include "core/process.hpp"
#include "core/sha512.hpp"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>

namespace fs = std::filesystem;

namespace squashpub::test {

CommandResult run(const std::vector<std::string>& argv) {
    TempDir scratch;
    TempFile out(scratch.file("output"));
    SpawnOptions options;
    options.stdout_fd = out.fd();
    ProcessStatus status = run_process(argv, options);
    CommandResult result;
    result.exit_code = status.exited ? status.exit_code : -1;
    result.output = read_whole_file(out.path()) + status.stderr_text;
    return result;
}

CommandResult squashpub(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {SQUASHPUB_BINARY};
    argv.insert(argv.end(), args.begin(), args.end());
    return run(argv);
}

std::string shell(const std::string& command) {
    CommandResult result = run({"/bin/sh", "-c", command});
    EXPECT_EQ(result.exit_code, 0) << command << "\n" << result.output;
    return result.output;
}

void write_file(const std::string& path, const std::string& content) {
    fs::create_directories(fs::path(path).parent_path());
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << content;
    ASSERT_TRUE(out.good()) << path;
}

std::string read_file(const std::string& path) {
    return read_whole_file(path);
}

std::string report_check(const std::string& report_path, const std::string& id,
                         const std::string& file) {
    nlohmann::json report = nlohmann::json::parse(read_whole_file(report_path));
    for (const auto& check : report["checks"])
        if (check["id"] == id && (file.empty() || check["file"] == file))
            return check["status"].get<std::string>() + ": " + check["message"].get<std::string>();
    return "(no such check)";
}

bool exists(const std::string& path) {
    struct stat st;
    return ::lstat(path.c_str(), &st) == 0;
}

std::string sha512(const std::string& path) {
    return sha512_of_file(path);
}

uint64_t file_size(const std::string& path) {
    return fs::file_size(path);
}

std::vector<std::string> list_dir(const std::string& path) {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(path))
        names.push_back(entry.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
}

std::string guru_repository() {
    const std::string path = std::string(SQUASHPUB_TEST_DATA_DIR) + "/guru.git";
    return exists(path + "/HEAD") ? path : "";
}

void export_revision(const std::string& repository, const std::string& rev,
                     const std::string& directory) {
    fs::create_directories(directory);
    shell("git -C '" + repository + "' archive --format=tar '" + rev + "' | tar -x -C '" +
          directory + "'");
}

namespace {

std::string describe_entry(const fs::path& path) {
    struct stat st;
    if (::lstat(path.c_str(), &st) != 0)
        return "missing";
    std::ostringstream text;
    text << std::oct << (st.st_mode & 07777) << " ";
    if (S_ISLNK(st.st_mode))
        text << "link->" << fs::read_symlink(path).string();
    else if (S_ISDIR(st.st_mode))
        text << "dir";
    else if (S_ISREG(st.st_mode))
        text << "file:" << sha512_of_file(path.string()) << " links:" << st.st_nlink;
    else
        text << "special";
    return text.str();
}

std::vector<std::string> walk(const fs::path& root) {
    std::vector<std::string> lines;
    for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator();
         ++it) {
        const fs::path relative = fs::relative(it->path(), root);
        if (relative.begin()->string() == ".git") {
            if (it->is_directory() && !it->is_symlink())
                it.disable_recursion_pending();
            continue;
        }
        lines.push_back(relative.string() + " " + describe_entry(it->path()));
    }
    std::sort(lines.begin(), lines.end());
    return lines;
}

} // namespace

namespace {

std::string compare_walks(const fs::path& tree, const fs::path& read) {
    std::vector<std::string> want = walk(tree), got = walk(read);
    for (size_t i = 0; i < std::max(want.size(), got.size()); ++i) {
        std::string w = i < want.size() ? want[i] : "(nothing)";
        std::string g = i < got.size() ? got[i] : "(nothing)";
        if (w != g)
            return "tree has '" + w + "', image has '" + g + "'";
    }
    return "";
}

std::string compare_mounted(const std::string& image, const std::string& tree,
                            const std::string& mountpoint) {
    fs::create_directories(mountpoint);
    CommandResult mount = run({"mount", "-t", "squashfs", "-o", "loop,ro", image, mountpoint});
    if (mount.exit_code != 0)
        return "the kernel refuses the image: " + mount.output;
    std::string difference = compare_walks(tree, mountpoint);
    run({"umount", mountpoint});
    return difference;
}

} // namespace

std::string compare_image_with_tree(const std::string& image, const std::string& tree,
                                    const std::string& scratch, Reader reader) {
    const std::string extracted = scratch + "/extracted";
    fs::remove_all(extracted);
    switch (reader) {
    case Reader::unsquashfs: {
        CommandResult unpack = run({"unsquashfs", "-no-xattrs", "-q", "-d", extracted, image});
        if (unpack.exit_code != 0)
            return "unsquashfs failed: " + unpack.output;
        break;
    }
    case Reader::sqfs2tar: {
        fs::create_directories(extracted);
        CommandResult unpack = run(
            {"sh", "-c", "sqfs2tar --no-xattr '" + image + "' | tar -x -p -C '" + extracted + "'"});
        if (unpack.exit_code != 0)
            return "sqfs2tar | tar failed: " + unpack.output;
        // sqfs2tar archives the root directory's own entry too.
        break;
    }
    case Reader::kernel:
        return compare_mounted(image, tree, scratch + "/mounted");
    }
    return compare_walks(tree, extracted);
}

bool kernel_mounts_available() {
    static const bool available = [] {
        const std::string dir =
            (fs::temp_directory_path() / ("squashpub-mount-probe-" + std::to_string(::getpid())))
                .string();
        fs::create_directories(dir + "/tree");
        write_file(dir + "/tree/probe", "probe\n");
        bool ok = run({"mksquashfs", dir + "/tree", dir + "/probe.sqfs", "-quiet", "-no-progress",
                       "-noappend"})
                      .exit_code == 0;
        fs::create_directories(dir + "/mnt");
        ok = ok &&
             run({"mount", "-t", "squashfs", "-o", "loop,ro", dir + "/probe.sqfs", dir + "/mnt"})
                     .exit_code == 0;
        if (ok)
            run({"umount", dir + "/mnt"});
        fs::remove_all(dir);
        return ok;
    }();
    return available;
}

} // namespace squashpub::test
