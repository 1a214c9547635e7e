#include "generator/image/image_writer.hpp"

#include "core/error.hpp"
#include "core/files.hpp"
#include "core/log.hpp"
#include "generator/image/stable_image_writer.hpp"
#include "generator/squashfs/image_frame.hpp"
#include "generator/squashfs/sqfs_codec_adapter.hpp"
#include "generator/squashfs/sqfs_fd_file.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <sqfs/block_processor.h>
#include <sqfs/block_writer.h>
#include <sqfs/compressor.h>
#include <sqfs/dir_writer.h>
#include <sqfs/frag_table.h>
#include <sqfs/id_table.h>
#include <sqfs/inode.h>
#include <sqfs/meta_writer.h>
#include <sqfs/super.h>
#include <sys/stat.h>
#include <thread>
#include <unordered_map>

namespace squashpub::generator {
namespace {

struct InodeFree {
    void operator()(sqfs_inode_generic_t* inode) const { sqfs_free(inode); }
};
using InodePtr = std::unique_ptr<sqfs_inode_generic_t, InodeFree>;

// What the writer knows about one node (shared by all its hard links).
struct NodeState {
    uint32_t inode_number = 0;
    uint32_t link_count = 0;
    sqfs_inode_generic_t* file_inode = nullptr; // owned by the block processor until finish
    uint64_t inode_ref = 0;
    bool data_written = false;
    bool inode_written = false;
};

constexpr size_t kDevBlockSize = 4096; // the block writer's alignment unit, as in mksquashfs

void check(int rc, const std::string& subject, const std::string& action) {
    check_sqfs(rc, subject, action);
}

uint16_t type_bits(NodeKind kind) {
    switch (kind) {
    case NodeKind::directory:
        return S_IFDIR;
    case NodeKind::file:
        return S_IFREG;
    case NodeKind::symlink:
        return S_IFLNK;
    }
    return 0;
}

template <typename T, typename Deleter = SqfsObjectDeleter>
std::unique_ptr<T, Deleter> owned(T* object, const std::string& subject, const char* what) {
    if (!object)
        throw Error(subject, std::string("cannot create ") + what);
    return std::unique_ptr<T, Deleter>(object);
}

class ImageBuilder {
  public:
    ImageBuilder(const TreeSource& source, const config::ImageOptions& options, uint32_t mtime,
                 const std::string& output_path, int fd)
        : source_(source), options_(options), mtime_(mtime), output_path_(output_path),
          file_(make_sqfs_fd_file(fd)), compressor_(make_sqfs_compressor(options, false)),
          decompressor_(make_sqfs_compressor(options, true)) {}

    ImageStats build() {
        Stopwatch clock;
        number_inodes(source_.root());
        start_super_block();
        write_file_data();
        log_verbose(output_path_ + ": file data written in " + clock.lap());
        write_inode_and_directory_tables();
        write_lookup_tables();
        finish_super_block();
        log_verbose(output_path_ + ": tables written in " + clock.lap());
        return stats_;
    }

  private:
    // Inodes are numbered in post-order (children before their directory),
    // the order their records are written in, so 1..count stay dense.
    void number_inodes(const Node& directory) {
        for (const Entry& child : directory.children) {
            NodeState& state = states_[child.node.get()];
            if (++state.link_count > 1)
                continue; // a hard link: numbered at its first name
            if (child.node->kind == NodeKind::directory)
                number_inodes(*child.node);
            state.inode_number = ++inode_count_;
        }
        if (&directory == &source_.root())
            states_[&directory].inode_number = ++inode_count_;
    }

    void start_super_block() {
        begin_image(super_, options_, mtime_, file_.get(), compressor_.get(), output_path_);
    }

    // File contents in directory order, as mksquashfs lays them out.
    void write_file_data() {
        block_writer_.reset(owned(sqfs_block_writer_create(file_.get(), kDevBlockSize, 0),
                                  output_path_, "block writer")
                                .release());
        fragments_.reset(
            owned(sqfs_frag_table_create(0), output_path_, "fragment table").release());
        sqfs_block_processor_desc_t desc = {};
        desc.size = sizeof desc;
        desc.max_block_size = options_.block_size;
        desc.num_workers =
            options_.jobs ? options_.jobs : std::max(1u, std::thread::hardware_concurrency());
        // A deep queue keeps the workers busy while this thread reads
        // files and packs fragments; bounded to about 64 MiB of blocks.
        desc.max_backlog = std::clamp<uint32_t>((64u << 20) / options_.block_size,
                                                desc.num_workers * 4, desc.num_workers * 64);
        desc.cmp = compressor_.get();
        desc.wr = block_writer_.get();
        desc.tbl = fragments_.get();
        desc.file = file_.get();
        desc.uncmp = decompressor_.get();
        sqfs_block_processor_t* processor = nullptr;
        check(sqfs_block_processor_create_ex(&desc, &processor), output_path_,
              "creating the block processor");
        processor_.reset(processor);

        uint64_t total = 0;
        count_file_bytes(source_.root(), total);
        Progress progress("writing file data", total / 1024, "KiB");
        uint64_t pending = 0;
        append_files(source_.root(), [&](size_t n) {
            pending += n;
            progress.advance(pending / 1024);
            pending %= 1024;
        });
        check(sqfs_block_processor_finish(processor_.get()), output_path_, "writing file data");
        progress.finish();
    }

    void count_file_bytes(const Node& directory, uint64_t& total) {
        for (const Entry& child : directory.children) {
            if (child.node->kind == NodeKind::directory)
                count_file_bytes(*child.node, total);
            else if (child.node->kind == NodeKind::file)
                total += child.node->size;
        }
    }

    void append_files(const Node& directory, const std::function<void(size_t)>& on_bytes) {
        for (const Entry& child : directory.children) {
            const Node& node = *child.node;
            if (node.kind == NodeKind::directory) {
                append_files(node, on_bytes);
                continue;
            }
            NodeState& state = states_[&node];
            if (node.kind != NodeKind::file || state.data_written)
                continue;
            state.data_written = true;
            ++stats_.files;
            stats_.input_bytes += node.size;
            check(sqfs_block_processor_begin_file(processor_.get(), &state.file_inode, nullptr, 0),
                  output_path_, "starting a file");
            source_.read_content(node, [&](const uint8_t* data, size_t size) {
                check(sqfs_block_processor_append(processor_.get(), data, size), output_path_,
                      "writing file data");
                on_bytes(size);
            });
            check(sqfs_block_processor_end_file(processor_.get()), output_path_, "ending a file");
        }
    }

    void write_inode_and_directory_tables() {
        inode_writer_.reset(owned(sqfs_meta_writer_create(file_.get(), compressor_.get(), 0),
                                  output_path_, "inode table writer")
                                .release());
        directory_meta_.reset(owned(sqfs_meta_writer_create(file_.get(), compressor_.get(),
                                                            SQFS_META_WRITER_KEEP_IN_MEMORY),
                                    output_path_, "directory table writer")
                                  .release());
        directory_writer_.reset(owned(sqfs_dir_writer_create(directory_meta_.get(), 0),
                                      output_path_, "directory writer")
                                    .release());
        ids_.reset(owned(sqfs_id_table_create(0), output_path_, "id table").release());
        check(sqfs_id_table_id_to_index(ids_.get(), options_.uid, &uid_index_), output_path_,
              "uid table");
        check(sqfs_id_table_id_to_index(ids_.get(), options_.gid, &gid_index_), output_path_,
              "gid table");

        super_.inode_table_start = file_->get_size(file_.get());
        const Node& root = source_.root();
        write_directory(root, inode_count_ + 1);
        check(sqfs_meta_writer_flush(inode_writer_.get()), output_path_, "inode table");
        check(sqfs_meta_writer_flush(directory_meta_.get()), output_path_, "directory table");
        super_.directory_table_start = file_->get_size(file_.get());
        check(sqfs_meta_write_write_to_file(directory_meta_.get()), output_path_,
              "directory table");
        super_.root_inode_ref = states_[&root].inode_ref;
        super_.inode_count = inode_count_;
        stats_.inodes = inode_count_;
    }

    // Post-order: every child's inode exists before the directory listing
    // that references it.
    void write_directory(const Node& directory, uint32_t parent_number) {
        NodeState& self = states_[&directory];
        for (const Entry& child : directory.children) {
            NodeState& state = states_[child.node.get()];
            if (state.inode_written)
                continue;
            if (child.node->kind == NodeKind::directory)
                write_directory(*child.node, self.inode_number);
            else
                write_leaf(*child.node, state);
        }
        check(sqfs_dir_writer_begin(directory_writer_.get(), 0), output_path_, "directory");
        size_t subdirectories = 0;
        for (const Entry& child : directory.children) {
            const NodeState& state = states_[child.node.get()];
            subdirectories += child.node->kind == NodeKind::directory;
            check(sqfs_dir_writer_add_entry(directory_writer_.get(), child.name.c_str(),
                                            state.inode_number, state.inode_ref,
                                            type_bits(child.node->kind) | child.node->permissions),
                  output_path_, "directory entry '" + child.name + "'");
        }
        check(sqfs_dir_writer_end(directory_writer_.get()), output_path_, "directory");
        InodePtr inode(sqfs_dir_writer_create_inode(directory_writer_.get(), 2 + subdirectories,
                                                    0xFFFFFFFF, parent_number));
        if (!inode)
            throw Error(output_path_, "out of memory creating a directory inode");
        write_inode(directory, self, inode.get());
    }

    void write_leaf(const Node& node, NodeState& state) {
        if (node.kind == NodeKind::file) {
            InodePtr inode(state.file_inode);
            state.file_inode = nullptr;
            if (state.link_count > 1 && inode->base.type == SQFS_INODE_FILE)
                check(sqfs_inode_make_extended(inode.get()), output_path_, "hard link inode");
            if (inode->base.type == SQFS_INODE_EXT_FILE)
                inode->data.file_ext.nlink = state.link_count;
            write_inode(node, state, inode.get());
            return;
        }
        const std::string& target = node.symlink_target;
        InodePtr inode(static_cast<sqfs_inode_generic_t*>(
            std::calloc(1, sizeof(sqfs_inode_generic_t) + target.size())));
        if (!inode)
            throw Error(output_path_, "out of memory creating a symlink inode");
        inode->base.type = SQFS_INODE_SLINK;
        inode->payload_bytes_available = static_cast<sqfs_u32>(target.size());
        inode->payload_bytes_used = static_cast<sqfs_u32>(target.size());
        inode->data.slink.nlink = state.link_count;
        inode->data.slink.target_size = static_cast<sqfs_u32>(target.size());
        std::memcpy(inode->extra, target.data(), target.size());
        write_inode(node, state, inode.get());
    }

    void write_inode(const Node& node, NodeState& state, sqfs_inode_generic_t* inode) {
        inode->base.mode = type_bits(node.kind) | node.permissions;
        inode->base.uid_idx = uid_index_;
        inode->base.gid_idx = gid_index_;
        inode->base.mod_time = mtime_;
        inode->base.inode_number = state.inode_number;
        sqfs_u64 block = 0;
        sqfs_u32 offset = 0;
        sqfs_meta_writer_get_position(inode_writer_.get(), &block, &offset);
        state.inode_ref = (block << 16) | offset;
        check(sqfs_meta_writer_write_inode(inode_writer_.get(), inode), output_path_, "inode");
        state.inode_written = true;
    }

    void write_lookup_tables() {
        check(sqfs_frag_table_write(fragments_.get(), file_.get(), &super_, compressor_.get()),
              output_path_, "fragment table");
        check(sqfs_id_table_write(ids_.get(), file_.get(), &super_, compressor_.get()),
              output_path_, "id table");
    }

    void finish_super_block() {
        stats_.image_bytes = finish_image(super_, mtime_, file_.get(), output_path_);
    }

    const TreeSource& source_;
    const config::ImageOptions& options_;
    uint32_t mtime_;
    std::string output_path_;
    SqfsFilePtr file_;
    SqfsCompressorPtr compressor_;
    SqfsCompressorPtr decompressor_;
    sqfs_super_t super_ = {};
    std::unordered_map<const Node*, NodeState> states_;
    uint32_t inode_count_ = 0;
    sqfs_u16 uid_index_ = 0, gid_index_ = 0;
    ImageStats stats_;

    std::unique_ptr<sqfs_block_writer_t, SqfsObjectDeleter> block_writer_;
    std::unique_ptr<sqfs_frag_table_t, SqfsObjectDeleter> fragments_;
    std::unique_ptr<sqfs_block_processor_t, SqfsObjectDeleter> processor_;
    std::unique_ptr<sqfs_meta_writer_t, SqfsObjectDeleter> inode_writer_;
    std::unique_ptr<sqfs_meta_writer_t, SqfsObjectDeleter> directory_meta_;
    std::unique_ptr<sqfs_dir_writer_t, SqfsObjectDeleter> directory_writer_;
    std::unique_ptr<sqfs_id_table_t, SqfsObjectDeleter> ids_;
};

} // namespace

uint32_t choose_image_time(const config::ImageOptions& options, const TreeSource& source) {
    if (options.mtime)
        return *options.mtime;
    if (const char* epoch = std::getenv("SOURCE_DATE_EPOCH"); epoch && *epoch) {
        char* end = nullptr;
        unsigned long long value = std::strtoull(epoch, &end, 10);
        if (*end != '\0' || value > UINT32_MAX)
            throw UsageError("SOURCE_DATE_EPOCH",
                             "expected seconds since 1970 that fit in 32 bits");
        return static_cast<uint32_t>(value);
    }
    if (auto time = source.revision_time())
        return *time;
    log_warning(source.describe() + ": not a git work tree and no --mtime given; using time 0");
    return 0;
}

ImageStats write_image(const TreeSource& source, const config::ImageOptions& options,
                       uint32_t mtime, const std::string& output_path,
                       const std::string& layout_from) {
    if (options.layout == config::Layout::classic && !layout_from.empty())
        throw UsageError(layout_from, "a layout can only be carried over with the stable layout");
    std::unique_ptr<PreviousImage> previous;
    if (!layout_from.empty())
        previous = load_previous_image(layout_from, options);
    AtomicOutput output(output_path);
    ImageStats stats =
        options.layout == config::Layout::stable
            ? write_stable_image(source, options, mtime, previous.get(), output.fd(), output_path)
            : ImageBuilder(source, options, mtime, output_path, output.fd()).build();
    output.commit();
    return stats;
}

} // namespace squashpub::generator
