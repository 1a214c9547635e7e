#include "generator/source/git_source.hpp"

#include "core/error.hpp"
#include "core/log.hpp"
#include "generator/source/checkout_filter.hpp"
#include "generator/source/read_ahead.hpp"

#include <git2.h>

#include <algorithm>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <thread>

namespace squashpub::generator {
namespace {

// Process-wide libgit2 settings for reading one revision's tree, each file
// once, in tree order (each measured with bench/scale).
void configure_for_single_pass() {
    // Each tree object is read once; blobs are never cached anyway. The
    // cache would keep every tree of the revision until the end (see
    // CachingWhileAttributesApply for where it pays).
    git_libgit2_opts(GIT_OPT_ENABLE_CACHING, 0);
    // `git checkout` does not re-hash the objects it reads either; zlib's
    // checksum still catches a damaged object. The SHA-1 (with collision
    // detection) of every blob was a third of the CPU time --rev took
    // beyond a directory's on bench/scale.
    git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, 0);
    // Mapped pack pages count in the resident set: map a pack in small
    // windows, and at most a few at a time, instead of up to 8 GiB of
    // 1 GiB windows (Gentoo's pack alone is larger than the image).
    git_libgit2_opts(GIT_OPT_SET_MWINDOW_SIZE, size_t{4} << 20);
    git_libgit2_opts(GIT_OPT_SET_MWINDOW_MAPPED_LIMIT, size_t{16} << 20);
}

struct LibGit2 {
    LibGit2() {
        git_libgit2_init();
        configure_for_single_pass();
    }
    ~LibGit2() { git_libgit2_shutdown(); }
};

void ensure_libgit2() {
    static LibGit2 instance;
}

std::string last_git_error() {
    const git_error* error = git_error_last();
    return error && error->message ? error->message : "unknown libgit2 error";
}

template <typename T, void (*Free)(T*)> struct GitPtr {
    T* ptr = nullptr;
    ~GitPtr() {
        if (ptr)
            Free(ptr);
    }
    T** out() { return &ptr; }
    T* get() const { return ptr; }
};

using ObjectPtr = GitPtr<git_object, git_object_free>;
using CommitPtr = GitPtr<git_commit, git_commit_free>;
using TreePtr = GitPtr<git_tree, git_tree_free>;
using BlobPtr = GitPtr<git_blob, git_blob_free>;
using OdbPtr = GitPtr<git_odb, git_odb_free>;
using RepoPtr = GitPtr<git_repository, git_repository_free>;

// Attribute lookups (CheckoutFilter) read the .gitattributes of every
// directory above a file from the commit's trees: the object cache saves
// reading them again per file (13% of GURU's CPU time with a top-level
// .gitattributes). Off again outside such a subtree: the first object read
// with caching off empties the cache. Only the tree walk, before any
// read-ahead thread exists, changes the setting.
class CachingWhileAttributesApply {
  public:
    explicit CachingWhileAttributesApply(bool attributes_apply) : on_(attributes_apply) {
        if (on_)
            git_libgit2_opts(GIT_OPT_ENABLE_CACHING, 1);
    }
    ~CachingWhileAttributesApply() {
        if (on_)
            git_libgit2_opts(GIT_OPT_ENABLE_CACHING, 0);
    }
    CachingWhileAttributesApply(const CachingWhileAttributesApply&) = delete;
    CachingWhileAttributesApply& operator=(const CachingWhileAttributesApply&) = delete;

  private:
    bool on_;
};

// A converted file's locator: the blob id, a newline, the path whose
// checkout filters convert it (ids have no newline; paths come after it).
std::string converted_locator(const std::string& blob_id, const std::string& path) {
    return blob_id + "\n" + path;
}

class TreeReader {
  public:
    TreeReader(git_repository* repo, std::string subject, const ExcludeRules& exclude,
               const CheckoutFilter& filter)
        : repo_(repo), subject_(std::move(subject)), exclude_(exclude), filter_(filter) {
        if (git_repository_odb(odb_.out(), repo_) != 0)
            throw Error(subject_, "cannot open object database: " + last_git_error());
    }

    // attributes_in_scope: a .gitattributes (or a repository-wide rule)
    // applies to this directory, so its files may need checkout filters.
    void fill(Node& directory, const git_tree* tree, const std::string& relative,
              bool attributes_in_scope) {
        const bool scope_starts_here =
            !attributes_in_scope && git_tree_entry_byname(tree, ".gitattributes") != nullptr;
        attributes_in_scope = attributes_in_scope || scope_starts_here;
        const CachingWhileAttributesApply caching(scope_starts_here);
        const size_t count = git_tree_entrycount(tree);
        for (size_t i = 0; i < count; ++i) {
            const git_tree_entry* entry = git_tree_entry_byindex(tree, i);
            const std::string name = git_tree_entry_name(entry);
            const std::string path = relative.empty() ? name : relative + "/" + name;
            const git_filemode_t mode = git_tree_entry_filemode(entry);
            const bool is_directory = mode == GIT_FILEMODE_TREE || mode == GIT_FILEMODE_COMMIT;
            if (exclude_.excludes(path, is_directory))
                continue;
            directory.children.push_back({name, node_for(entry, mode, path, attributes_in_scope)});
        }
    }

  private:
    std::shared_ptr<Node> node_for(const git_tree_entry* entry, git_filemode_t mode,
                                   const std::string& path, bool attributes_in_scope) {
        const git_oid* id = git_tree_entry_id(entry);
        switch (mode) {
        case GIT_FILEMODE_TREE: {
            TreePtr subtree;
            if (git_tree_lookup(subtree.out(), repo_, id) != 0)
                throw Error(subject_ + ":" + path, "cannot read tree: " + last_git_error());
            auto node = Node::directory();
            fill(*node, subtree.get(), path, attributes_in_scope);
            return node;
        }
        case GIT_FILEMODE_COMMIT:
            log_warning(subject_ + ":" + path + ": submodule stored as an empty directory");
            return Node::directory();
        case GIT_FILEMODE_LINK: {
            BlobPtr blob;
            if (git_blob_lookup(blob.out(), repo_, id) != 0)
                throw Error(subject_ + ":" + path, "cannot read symlink: " + last_git_error());
            const auto* data = static_cast<const char*>(git_blob_rawcontent(blob.get()));
            return Node::symlink(std::string(data, git_blob_rawsize(blob.get())));
        }
        default:
            return file_node(id, mode == GIT_FILEMODE_BLOB_EXECUTABLE, path, attributes_in_scope);
        }
    }

    // The file as a checkout has it. Only files with checkout filters are
    // inflated here (for their converted size); the rest need the header.
    std::shared_ptr<Node> file_node(const git_oid* id, bool executable, const std::string& path,
                                    bool attributes_in_scope) {
        const std::string blob_id = git_oid_tostr_s(id);
        if (attributes_in_scope && filter_.may_convert(path)) {
            BlobPtr blob;
            if (git_blob_lookup(blob.out(), repo_, id) != 0)
                throw Error(subject_ + ":" + path, "cannot read blob: " + last_git_error());
            if (auto converted = filter_.convert(blob.get(), path))
                return Node::file(converted->size(), executable, converted_locator(blob_id, path));
            return Node::file(git_blob_rawsize(blob.get()), executable, blob_id);
        }
        size_t size = 0;
        git_object_t type;
        if (git_odb_read_header(&size, &type, odb_.get(), id) != 0)
            throw Error(subject_ + ":" + path, "cannot read blob: " + last_git_error());
        return Node::file(size, executable, blob_id);
    }

    git_repository* repo_;
    std::string subject_;
    const ExcludeRules& exclude_;
    const CheckoutFilter& filter_;
    OdbPtr odb_;
};

void stream_chunks(const uint8_t* data, uint64_t size,
                   const std::function<void(const uint8_t*, size_t)>& sink) {
    constexpr uint64_t kChunk = 1 << 20;
    for (uint64_t offset = 0; offset < size; offset += kChunk)
        sink(data + offset, static_cast<size_t>(std::min(kChunk, size - offset)));
}

// Streams a file's content as a checkout has it (see converted_locator).
// Read-ahead workers call it too, each with its own repo and filter.
void read_file(git_repository* repo, const CheckoutFilter& filter, const std::string& subject,
               const Node& file, const std::function<void(const uint8_t*, size_t)>& sink) {
    const size_t newline = file.locator.find('\n');
    const std::string blob_id = file.locator.substr(0, newline);
    git_oid id;
    BlobPtr blob;
    if (git_oid_fromstr(&id, blob_id.c_str()) != 0 || git_blob_lookup(blob.out(), repo, &id) != 0)
        throw Error(subject, "cannot read blob " + blob_id + ": " + last_git_error());
    if (newline == std::string::npos) {
        const uint64_t size = static_cast<uint64_t>(git_blob_rawsize(blob.get()));
        if (size != file.size)
            throw Error(subject, "blob " + blob_id + " has an unexpected size");
        stream_chunks(static_cast<const uint8_t*>(git_blob_rawcontent(blob.get())), size, sink);
        return;
    }
    const std::string path = file.locator.substr(newline + 1);
    const std::optional<std::string> converted = filter.convert(blob.get(), path);
    if (!converted || converted->size() != file.size)
        throw Error(subject + ":" + path, "checkout filters gave a different result than before");
    stream_chunks(reinterpret_cast<const uint8_t*>(converted->data()), converted->size(), sink);
}

} // namespace

GitSource::GitSource(std::string repository, std::string revision, const ExcludeRules& exclude)
    : repository_(std::move(repository)), revision_(std::move(revision)) {
    ensure_libgit2();
    repo_ = open_for_checkout_filters(repository_);
    ObjectPtr object;
    if (git_revparse_single(object.out(), repo_, revision_.c_str()) != 0)
        throw Error(repository_, "unknown revision '" + revision_ + "': " + last_git_error());
    ObjectPtr commit_object;
    if (git_object_peel(commit_object.out(), object.get(), GIT_OBJECT_COMMIT) != 0)
        throw Error(repository_, "revision '" + revision_ + "' is not a commit");
    auto* commit = reinterpret_cast<git_commit*>(commit_object.get());
    commit_id_ = git_oid_tostr_s(git_commit_id(commit));
    commit_time_ = static_cast<uint32_t>(git_commit_time(commit));
    TreePtr tree;
    if (git_commit_tree(tree.out(), commit) != 0)
        throw Error(describe(), "cannot read the commit's tree: " + last_git_error());
    filter_ = std::make_unique<CheckoutFilter>(repo_, *git_commit_id(commit), describe());
    root_ = Node::directory();
    const bool repository_wide = filter_->has_repository_wide_rules();
    const CachingWhileAttributesApply caching(repository_wide);
    TreeReader(repo_, describe(), exclude, *filter_).fill(*root_, tree.get(), "", repository_wide);
    sort_tree(*root_);
}

GitSource::~GitSource() {
    // The read-ahead workers walk root_, declared after it: stop them first.
    read_ahead_.reset();
    git_repository_free(repo_);
}

void GitSource::read_content(const Node& file,
                             const std::function<void(const uint8_t*, size_t)>& sink) const {
    std::call_once(read_ahead_started_, [this] { start_read_ahead(); });
    std::optional<std::string> content;
    if (read_ahead_) {
        content = read_ahead_->take(file);
        if (read_ahead_->finished())
            stop_read_ahead();
    }
    if (content) {
        stream_chunks(reinterpret_cast<const uint8_t*>(content->data()), content->size(), sink);
        return;
    }
    read_file(repo_, *filter_, describe(), file, sink);
}

// Every file was handed out: later reads (a writer's second look at a
// tail) are direct. The workers' malloc arenas keep what they freed;
// trimming gives it back before the writer builds its tables.
void GitSource::stop_read_ahead() const {
    read_ahead_.reset();
#ifdef __GLIBC__
    malloc_trim(0);
#endif
}

// Inflating and filtering blobs is most of a revision's reading cost: the
// workers do it ahead of the image writer, each with its own repository
// handle. The window bounds the memory it takes.
void GitSource::start_read_ahead() const {
    // A thousand ebuilds ahead; 16 MiB held 10-20 MB more at peak.
    constexpr uint64_t kWindowBytes = 4 << 20;
    const unsigned threads = std::clamp(std::thread::hardware_concurrency(), 1u, 4u);
    git_oid commit;
    git_oid_fromstr(&commit, commit_id_.c_str());
    read_ahead_ = std::make_unique<ReadAhead>(*root_, threads, kWindowBytes, [&] {
        auto repo = std::shared_ptr<git_repository>(open_for_checkout_filters(repository_),
                                                    git_repository_free);
        auto filter = std::make_shared<CheckoutFilter>(repo.get(), commit, describe());
        return [repo, filter, subject = describe()](const Node& file) {
            std::string content;
            content.reserve(file.size);
            read_file(repo.get(), *filter, subject, file, [&](const uint8_t* data, size_t size) {
                content.append(reinterpret_cast<const char*>(data), size);
            });
            return content;
        };
    });
}

std::optional<RevisionInfo> head_revision(const std::string& directory) {
    ensure_libgit2();
    RepoPtr repo;
    if (git_repository_open_ext(repo.out(), directory.c_str(), GIT_REPOSITORY_OPEN_NO_SEARCH,
                                nullptr) != 0)
        return std::nullopt;
    ObjectPtr head;
    if (git_revparse_single(head.out(), repo.get(), "HEAD^{commit}") != 0)
        return std::nullopt;
    const auto* commit = reinterpret_cast<const git_commit*>(head.get());
    return RevisionInfo{static_cast<uint32_t>(git_commit_time(commit)),
                        git_oid_tostr_s(git_commit_id(commit))};
}

bool is_bare_repository(const std::string& path) {
    ensure_libgit2();
    RepoPtr repo;
    if (git_repository_open_ext(repo.out(), path.c_str(), GIT_REPOSITORY_OPEN_NO_SEARCH, nullptr) !=
        0)
        return false;
    return git_repository_is_bare(repo.get());
}

} // namespace squashpub::generator
