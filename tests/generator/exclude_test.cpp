#include "generator/source/exclude.hpp"

#include <gtest/gtest.h>

namespace squashpub::generator {
namespace {

TEST(ExcludeRules, NamePatternsMatchAtAnyDepth) {
    ExcludeRules rules({"*.pyc", "CVS"});
    EXPECT_TRUE(rules.excludes("a.pyc", false));
    EXPECT_TRUE(rules.excludes("dev-python/foo/b.pyc", false));
    EXPECT_TRUE(rules.excludes("x/CVS", true));
    EXPECT_FALSE(rules.excludes("a.py", false));
}

TEST(ExcludeRules, PathPatternsAreAnchoredAtTheRoot) {
    ExcludeRules rules({"metadata/md5-cache", "/distfiles", "a/*/c"});
    EXPECT_TRUE(rules.excludes("metadata/md5-cache", true));
    EXPECT_FALSE(rules.excludes("x/metadata/md5-cache", true));
    EXPECT_TRUE(rules.excludes("distfiles", true));
    EXPECT_TRUE(rules.excludes("a/b/c", false));
    EXPECT_FALSE(rules.excludes("a/b/x/c", false)); // '*' does not cross '/'
}

TEST(ExcludeRules, TrailingSlashMeansDirectoriesOnly) {
    ExcludeRules rules({"cache/"});
    EXPECT_TRUE(rules.excludes("x/cache", true));
    EXPECT_FALSE(rules.excludes("x/cache", false));
}

TEST(ExcludeRules, EmptyRulesExcludeNothing) {
    EXPECT_FALSE(ExcludeRules().excludes("anything", false));
}

} // namespace
} // namespace squashpub::generator
