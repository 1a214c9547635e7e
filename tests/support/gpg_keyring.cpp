#include "support/gpg_keyring.hpp"

#include "support/test_support.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

namespace squashpub::test {

GpgKeyring::GpgKeyring(KeyState state) : home_("", "gpg") {
    ::chmod(home_.path().c_str(), 0700);
    passphrase_file_ = home_.file("passphrase");
    write_file(passphrase_file_, "correct horse battery staple\n");
    // GPGME cannot choose the digest per call; the home's preferences do.
    write_file(home_.file("gpg.conf"), "personal-digest-preferences SHA512\n");
    const std::string when =
        state == KeyState::expired ? "--faked-system-time 20200101T000000 " : "";
    EXPECT_EQ(gpg(when + "--batch --pinentry-mode loopback --passphrase-file '" + passphrase_file_ +
                  "' --quick-gen-key 'squashpub test <test@example.org>' ed25519 sign 1y"),
              0);
    std::string listing;
    gpg("--list-secret-keys --with-colons", &listing);
    const size_t fpr = listing.find("\nfpr:");
    if (fpr != std::string::npos) {
        const size_t start = listing.find_first_not_of(':', fpr + 5);
        fingerprint_ = listing.substr(start, 40);
    }
    EXPECT_EQ(fingerprint_.size(), 40u) << listing;
}

std::string GpgKeyring::add_key(const std::string& name, const std::string& expiry) const {
    const std::string uid = name + " <" + name + "@example.org>";
    EXPECT_EQ(gpg("--batch --pinentry-mode loopback --passphrase-file '" + passphrase_file_ +
                  "' --quick-gen-key '" + uid + "' ed25519 sign " + expiry),
              0);
    std::string listing;
    gpg("--list-secret-keys --with-colons '=" + uid + "'", &listing);
    const size_t fpr = listing.find("\nfpr:");
    if (fpr == std::string::npos) {
        ADD_FAILURE() << "no key for " << uid << ": " << listing;
        return "";
    }
    const size_t start = listing.find_first_not_of(':', fpr + 5);
    return listing.substr(start, 40);
}

void GpgKeyring::export_key(const std::string& fingerprint, const std::string& path) const {
    EXPECT_EQ(gpg("--batch --armor --export " + fingerprint + " > '" + path + "'"), 0);
}

GpgKeyring::~GpgKeyring() {
    run({"env", "GNUPGHOME=" + home_.path(), "gpgconf", "--kill", "all"});
}

int GpgKeyring::gpg(const std::string& arguments, std::string* output) const {
    CommandResult result =
        run({"/bin/sh", "-c", "GNUPGHOME='" + home_.path() + "' gpg " + arguments});
    if (output)
        *output = result.output;
    return result.exit_code;
}

} // namespace squashpub::test
