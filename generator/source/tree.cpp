#include "generator/source/tree.hpp"

#include <algorithm>

namespace squashpub::generator {

std::shared_ptr<Node> Node::directory() {
    auto node = std::make_shared<Node>();
    node->kind = NodeKind::directory;
    node->permissions = 0755;
    return node;
}

std::shared_ptr<Node> Node::file(uint64_t size, bool executable, std::string locator) {
    auto node = std::make_shared<Node>();
    node->kind = NodeKind::file;
    node->permissions = executable ? 0755 : 0644;
    node->size = size;
    node->locator = std::move(locator);
    return node;
}

std::shared_ptr<Node> Node::symlink(std::string target) {
    auto node = std::make_shared<Node>();
    node->kind = NodeKind::symlink;
    node->permissions = 0777;
    node->symlink_target = std::move(target);
    return node;
}

void sort_tree(Node& root) {
    // std::string's operator< compares as unsigned chars: bytewise order.
    std::sort(root.children.begin(), root.children.end(),
              [](const Entry& a, const Entry& b) { return a.name < b.name; });
    for (Entry& child : root.children)
        if (child.node->kind == NodeKind::directory)
            sort_tree(*child.node);
}

} // namespace squashpub::generator
