#include "verifier/image_walk.hpp"

#include "core/block_codec.hpp"
#include "core/error.hpp"

#include <memory>
#include <sqfs/compressor.h>
#include <sqfs/data_reader.h>
#include <sqfs/dir_reader.h>
#include <sqfs/error.h>
#include <sqfs/id_table.h>
#include <sqfs/inode.h>
#include <sqfs/io.h>
#include <sqfs/super.h>
#include <sys/stat.h>
#include <vector>

namespace squashpub::verifier {
namespace {

struct Destroy {
    void operator()(void* object) const { sqfs_destroy(object); }
};
template <typename T> using Owned = std::unique_ptr<T, Destroy>;

// Debian's libsquashfs has no LZO: a decompressor on core's client codec,
// the same library calls squashmerge uses.
struct ClientDecompressor {
    sqfs_compressor_t base; // first: pointer-interconvertible with the C interface
    BlockCodec* codec;
    uint16_t id;
};

sqfs_s32 decompress_block(sqfs_compressor_t* base, const sqfs_u8* in, sqfs_u32 size, sqfs_u8* out,
                          sqfs_u32 outsize) {
    auto* self = reinterpret_cast<ClientDecompressor*>(base);
    auto n = self->codec->decompress(in, size, out, outsize);
    return n ? static_cast<sqfs_s32>(*n) : SQFS_ERROR_CORRUPTED;
}

void destroy_decompressor(sqfs_object_t* object) {
    auto* self = reinterpret_cast<ClientDecompressor*>(object);
    delete self->codec;
    delete self;
}

sqfs_object_t* copy_decompressor(const sqfs_object_t* object) {
    auto* self = reinterpret_cast<const ClientDecompressor*>(object);
    auto* copy = new ClientDecompressor(*self);
    copy->codec = new BlockCodec(self->codec->spec());
    return &copy->base.base;
}

void get_configuration(const sqfs_compressor_t* base, sqfs_compressor_config_t* cfg) {
    *cfg = {};
    cfg->id = reinterpret_cast<const ClientDecompressor*>(base)->id;
    cfg->flags = SQFS_COMP_FLAG_UNCOMPRESS;
}

int no_options(sqfs_compressor_t*, sqfs_file_t*) {
    return 0;
}

sqfs_compressor_t* make_decompressor(const sqfs_super_t& super, const std::string& path) {
    if (super.compression_id == SQFS_COMP_LZO || super.compression_id == SQFS_COMP_LZ4) {
        CompressionSpec spec;
        spec.family = super.compression_id == SQFS_COMP_LZO ? CodecFamily::lzo : CodecFamily::lz4;
        auto* self = new ClientDecompressor{};
        self->codec = new BlockCodec(spec);
        self->id = super.compression_id;
        self->base.base.destroy = destroy_decompressor;
        self->base.base.copy = copy_decompressor;
        self->base.get_configuration = get_configuration;
        self->base.write_options = no_options;
        self->base.read_options = no_options;
        self->base.do_block = decompress_block;
        return &self->base;
    }
    sqfs_compressor_config_t cfg;
    if (sqfs_compressor_config_init(&cfg, static_cast<SQFS_COMPRESSOR>(super.compression_id),
                                    super.block_size, SQFS_COMP_FLAG_UNCOMPRESS) != 0)
        throw Error(path, "unknown compressor id " + std::to_string(super.compression_id));
    sqfs_compressor_t* cmp = nullptr;
    if (sqfs_compressor_create(&cfg, &cmp) != 0)
        throw Error(path, "libsquashfs cannot decompress compressor id " +
                              std::to_string(super.compression_id));
    return cmp;
}

void check(int rc, const std::string& path, const std::string& what) {
    if (rc != 0)
        throw Error(path, what + " failed (libsquashfs error " + std::to_string(rc) + ")");
}

class Walker {
  public:
    Walker(const std::string& path, sqfs_data_reader_t* data) : path_(path), data_(data) {}

    void visit(const sqfs_tree_node_t* node) {
        const sqfs_inode_generic_t* inode = node->inode;
        const uint16_t mode = inode->base.mode & S_IFMT;
        if (mode == S_IFDIR)
            ++stats_.directories;
        else if (mode == S_IFLNK)
            ++stats_.symlinks;
        else if (mode == S_IFREG)
            read_file(node);
        else
            ++stats_.other;
        for (const sqfs_tree_node_t* child = node->children; child; child = child->next)
            visit(child);
    }

    const WalkStats& stats() const { return stats_; }

  private:
    void read_file(const sqfs_tree_node_t* node) {
        ++stats_.files;
        sqfs_u64 size = 0;
        sqfs_inode_get_file_size(node->inode, &size);
        buffer_.resize(1 << 20);
        for (sqfs_u64 offset = 0; offset < size;) {
            const sqfs_u32 chunk =
                static_cast<sqfs_u32>(std::min<sqfs_u64>(buffer_.size(), size - offset));
            const sqfs_s32 n =
                sqfs_data_reader_read(data_, node->inode, offset, buffer_.data(), chunk);
            if (n <= 0)
                throw Error(path_, std::string("cannot read the content of '") +
                                       reinterpret_cast<const char*>(node->name) + "' at offset " +
                                       std::to_string(offset) + " (libsquashfs error " +
                                       std::to_string(n) + ")");
            offset += static_cast<sqfs_u64>(n);
            stats_.bytes += static_cast<sqfs_u64>(n);
        }
    }

    std::string path_;
    sqfs_data_reader_t* data_;
    WalkStats stats_;
    std::vector<uint8_t> buffer_;
};

} // namespace

WalkStats walk_image(const std::string& path) {
    Owned<sqfs_file_t> file(sqfs_open_file(path.c_str(), SQFS_FILE_OPEN_READ_ONLY));
    if (!file)
        throw Error(path, "cannot open");
    sqfs_super_t super;
    check(sqfs_super_read(&super, file.get()), path, "reading the superblock");
    Owned<sqfs_compressor_t> cmp(make_decompressor(super, path));
    Owned<sqfs_id_table_t> ids(sqfs_id_table_create(0));
    check(sqfs_id_table_read(ids.get(), file.get(), &super, cmp.get()), path,
          "reading the id table");
    Owned<sqfs_dir_reader_t> dirs(sqfs_dir_reader_create(&super, cmp.get(), file.get(), 0));
    Owned<sqfs_data_reader_t> data(
        sqfs_data_reader_create(file.get(), super.block_size, cmp.get(), 0));
    if (!dirs || !data)
        throw Error(path, "out of memory");
    check(sqfs_data_reader_load_fragment_table(data.get(), &super), path,
          "reading the fragment table");
    sqfs_tree_node_t* root = nullptr;
    check(sqfs_dir_reader_get_full_hierarchy(dirs.get(), ids.get(), nullptr, 0, &root), path,
          "reading the directory tree");
    std::unique_ptr<sqfs_tree_node_t, decltype(&sqfs_dir_tree_destroy)> tree(root,
                                                                             sqfs_dir_tree_destroy);
    Walker walker(path, data.get());
    walker.visit(tree.get());
    return walker.stats();
}

} // namespace squashpub::verifier
