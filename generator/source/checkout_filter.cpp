#include "generator/source/checkout_filter.hpp"

#include "core/error.hpp"

#include <git2/sys/repository.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>

namespace squashpub::generator {
namespace {

std::string git_error_text() {
    const git_error* error = git_error_last();
    return error && error->message ? error->message : "unknown libgit2 error";
}

struct FilterList {
    git_filter_list* list = nullptr;
    ~FilterList() { git_filter_list_free(list); }
};

struct Buffer {
    git_buf buf = GIT_BUF_INIT;
    ~Buffer() { git_buf_dispose(&buf); }
};

bool file_exists(const std::string& path) {
    return !path.empty() && std::filesystem::exists(path);
}

// The per-user attributes file libgit2 reads when core.attributesFile is unset.
std::string user_attributes_file() {
    if (const char* xdg = std::getenv("XDG_CONFIG_HOME"); xdg && *xdg)
        return std::string(xdg) + "/git/attributes";
    if (const char* home = std::getenv("HOME"); home && *home)
        return std::string(home) + "/.config/git/attributes";
    return "";
}

bool config_is_set(git_config* config, const char* name) {
    git_config_entry* entry = nullptr;
    if (git_config_get_entry(&entry, config, name) != 0) {
        git_error_clear();
        return false;
    }
    const bool set = entry->value && std::strcmp(entry->value, "false") != 0;
    git_config_entry_free(entry);
    return set;
}

bool repository_wide_rules_exist(git_repository* repo, const std::string& subject) {
    git_config* config = nullptr;
    if (git_repository_config_snapshot(&config, repo) != 0)
        throw Error(subject, "cannot read the repository's config: " + git_error_text());
    const bool from_config =
        config_is_set(config, "core.autocrlf") || config_is_set(config, "core.attributesFile");
    git_config_free(config);
    Buffer info;
    if (git_repository_item_path(&info.buf, repo, GIT_REPOSITORY_ITEM_INFO) != 0)
        throw Error(subject, "cannot locate $GIT_DIR/info: " + git_error_text());
    return from_config || file_exists(std::string(info.buf.ptr) + "attributes") ||
           file_exists(user_attributes_file());
}

} // namespace

CheckoutFilter::CheckoutFilter(git_repository* repo, const git_oid& commit, std::string subject)
    : repo_(repo), commit_(commit), subject_(std::move(subject)),
      repository_wide_(repository_wide_rules_exist(repo, subject_)) {}

git_filter_options CheckoutFilter::options() const {
    git_filter_options options = GIT_FILTER_OPTIONS_INIT;
    options.flags = GIT_FILTER_NO_SYSTEM_ATTRIBUTES | GIT_FILTER_ATTRIBUTES_FROM_COMMIT;
    options.attr_commit_id = commit_;
    return options;
}

bool CheckoutFilter::may_convert(const std::string& path) const {
    git_filter_options opts = options();
    FilterList filters;
    if (git_filter_list_load_ext(&filters.list, repo_, nullptr, path.c_str(),
                                 GIT_FILTER_TO_WORKTREE, &opts) != 0)
        throw Error(subject_ + ":" + path, "cannot read its attributes: " + git_error_text());
    return filters.list != nullptr;
}

std::optional<std::string> CheckoutFilter::convert(git_blob* blob, const std::string& path) const {
    // Loaded with the blob: `ident` writes the blob's id.
    git_filter_options opts = options();
    FilterList filters;
    Buffer out;
    if (git_filter_list_load_ext(&filters.list, repo_, blob, path.c_str(), GIT_FILTER_TO_WORKTREE,
                                 &opts) != 0 ||
        (filters.list && git_filter_list_apply_to_blob(&out.buf, filters.list, blob) != 0))
        throw Error(subject_ + ":" + path,
                    "cannot apply its checkout filters: " + git_error_text());
    if (!filters.list)
        return std::nullopt;
    const size_t size = static_cast<size_t>(git_blob_rawsize(blob));
    if (out.buf.size == size && std::memcmp(out.buf.ptr, git_blob_rawcontent(blob), size) == 0)
        return std::nullopt;
    return std::string(out.buf.ptr, out.buf.size);
}

namespace {

git_repository* open_repository(const std::string& path, unsigned flags) {
    git_repository* repo = nullptr;
    if (git_repository_open_ext(&repo, path.c_str(), GIT_REPOSITORY_OPEN_NO_SEARCH | flags,
                                nullptr) != 0)
        throw Error(path, "not a git repository: " + git_error_text());
    return repo;
}

} // namespace

git_repository* open_for_checkout_filters(const std::string& path) {
    git_repository* repo = open_repository(path, 0);
    if (!git_repository_is_bare(repo)) {
        // Reopened from its git directory as bare: no work tree, so no
        // work-tree .gitattributes.
        const std::string git_dir = git_repository_path(repo);
        git_repository_free(repo);
        repo = open_repository(git_dir, GIT_REPOSITORY_OPEN_BARE);
    }
    // The index file (of a non-bare repository) holds the checked-out
    // commit's .gitattributes, maybe another commit's: an empty one instead.
    git_index* index = nullptr;
    const bool emptied = git_index_new(&index) == 0 && git_repository_set_index(repo, index) == 0;
    git_index_free(index);
    if (!emptied) {
        const std::string problem = git_error_text();
        git_repository_free(repo);
        throw Error(path, "cannot set up an empty index: " + problem);
    }
    return repo;
}

} // namespace squashpub::generator
