#include "publisher/signer.hpp"

#include "core/error.hpp"
#include "core/files.hpp"

#include <cstring>
#include <ctime>
#include <gpgme.h>
#include <memory>

namespace squashpub::publisher {
namespace {

std::string gpg_error_text(gpgme_error_t err) {
    return gpgme_strerror(err);
}

struct ContextDeleter {
    void operator()(gpgme_ctx_t ctx) const { gpgme_release(ctx); }
};
struct KeyDeleter {
    void operator()(gpgme_key_t key) const { gpgme_key_unref(key); }
};
struct DataDeleter {
    void operator()(gpgme_data_t data) const { gpgme_data_release(data); }
};
using Context = std::unique_ptr<gpgme_context, ContextDeleter>;
using Key = std::unique_ptr<_gpgme_key, KeyDeleter>;
using Data = std::unique_ptr<gpgme_data, DataDeleter>;

std::string subject_of(const config::SigningConfig& signing) {
    return "signing key " + signing.key;
}

gpgme_error_t give_passphrase(void* hook, const char*, const char*, int previous_bad, int fd) {
    const auto* passphrase = static_cast<const std::string*>(hook);
    if (previous_bad)
        return gpgme_error(GPG_ERR_BAD_PASSPHRASE);
    std::string line = *passphrase + "\n";
    return gpgme_io_writen(fd, line.data(), line.size()) == 0 ? 0 : gpgme_error(GPG_ERR_CANCELED);
}

class Session {
  public:
    explicit Session(const config::SigningConfig& signing) : signing_(signing) {
        gpgme_check_version(nullptr);
        gpgme_ctx_t raw = nullptr;
        check(gpgme_new(&raw), "cannot start GPGME");
        context_.reset(raw);
        if (!signing.gnupg_home.empty())
            check(gpgme_ctx_set_engine_info(context_.get(), GPGME_PROTOCOL_OpenPGP, nullptr,
                                            signing.gnupg_home.c_str()),
                  "cannot use GnuPG home " + signing.gnupg_home);
        gpgme_set_armor(context_.get(), 1);
        if (!signing.passphrase_file.empty()) {
            passphrase_ = read_whole_file(signing.passphrase_file);
            while (!passphrase_.empty() &&
                   (passphrase_.back() == '\n' || passphrase_.back() == '\r'))
                passphrase_.pop_back();
            check(gpgme_set_pinentry_mode(context_.get(), GPGME_PINENTRY_MODE_LOOPBACK),
                  "cannot use loopback pinentry");
            gpgme_set_passphrase_cb(context_.get(), give_passphrase, &passphrase_);
        } else {
            // Unattended: a passphrase the agent does not have must fail at
            // once, not wait for a pinentry nobody sees.
            check(gpgme_set_pinentry_mode(context_.get(), GPGME_PINENTRY_MODE_CANCEL),
                  "cannot disable the pinentry");
        }
        gpgme_key_t key = nullptr;
        gpgme_error_t err = gpgme_get_key(context_.get(), signing.key.c_str(), &key, 1);
        if (err)
            throw Error(subject_of(signing),
                        "no usable secret key in " +
                            (signing.gnupg_home.empty() ? std::string("the GnuPG home")
                                                        : signing.gnupg_home) +
                            ": " + gpg_error_text(err));
        key_.reset(key);
    }

    void check_usable() const {
        gpgme_key_t key = key_.get();
        if (key->revoked)
            throw Error(subject_of(signing_), "is revoked");
        if (key->expired)
            throw Error(subject_of(signing_), "has expired");
        if (key->disabled)
            throw Error(subject_of(signing_), "is disabled");
        bool signing_subkey = false;
        for (gpgme_subkey_t sub = key->subkeys; sub; sub = sub->next)
            if (sub->can_sign && !sub->expired && !sub->revoked && !sub->disabled)
                signing_subkey = true;
        if (!signing_subkey)
            throw Error(subject_of(signing_), "has no valid signing (sub)key");
    }

    std::string clearsign(const std::string& body) {
        check(gpgme_signers_add(context_.get(), key_.get()), "cannot select the key");
        gpgme_data_t in = nullptr, out = nullptr;
        check(gpgme_data_new_from_mem(&in, body.data(), body.size(), 0), "out of memory");
        Data input(in);
        check(gpgme_data_new(&out), "out of memory");
        Data output(out);
        if (gpgme_error_t err =
                gpgme_op_sign(context_.get(), input.get(), output.get(), GPGME_SIG_MODE_CLEAR))
            throw Error(subject_of(signing_), "signing failed: " + gpg_error_text(err) + hint(err));
        gpgme_sign_result_t result = gpgme_op_sign_result(context_.get());
        if (!result || result->invalid_signers || !result->signatures)
            throw Error(subject_of(signing_), "GnuPG made no signature");
        if (result->signatures->hash_algo != GPGME_MD_SHA512)
            throw Error(subject_of(signing_),
                        std::string("signed with ") +
                            gpgme_hash_algo_name(result->signatures->hash_algo) +
                            " instead of SHA512; add 'personal-digest-preferences SHA512' to "
                            "gpg.conf in the GnuPG home");
        size_t size = 0;
        char* text = gpgme_data_release_and_get_mem(output.release(), &size);
        std::string signed_text(text, size);
        gpgme_free(text);
        return signed_text;
    }

    // The signer of a clearsigned text (fingerprint or key id, as GnuPG
    // reports it, even for a key not in this keyring); "" if none.
    std::string signer_of(const std::string& text) {
        gpgme_data_t in = nullptr, out = nullptr;
        check(gpgme_data_new_from_mem(&in, text.data(), text.size(), 0), "out of memory");
        Data input(in);
        check(gpgme_data_new(&out), "out of memory");
        Data output(out);
        if (gpgme_op_verify(context_.get(), input.get(), nullptr, output.get()))
            return "";
        gpgme_verify_result_t result = gpgme_op_verify_result(context_.get());
        if (!result || !result->signatures || !result->signatures->fpr)
            return "";
        return result->signatures->fpr;
    }

    // Whether id (a fingerprint or key id) names our key or a subkey.
    bool is_ours(std::string id) const {
        auto upper = [](std::string text) {
            for (char& c : text)
                c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
            return text;
        };
        id = upper(id);
        for (gpgme_subkey_t sub = key_->subkeys; sub && !id.empty(); sub = sub->next)
            if (sub->fpr && upper(sub->fpr).ends_with(id))
                return true;
        return false;
    }

  private:
    // What to do about the usual signing failures.
    std::string hint(gpgme_error_t err) const {
        const long created = key_->subkeys ? key_->subkeys->timestamp : 0;
        if (created > static_cast<long>(std::time(nullptr)))
            return " (the key was created in the future: check the system clock)";
        switch (gpgme_err_code(err)) {
        case GPG_ERR_BAD_PASSPHRASE:
            return " (signing.passphrase_file " + signing_.passphrase_file +
                   " does not hold the key's passphrase)";
        case GPG_ERR_CANCELED:
        case GPG_ERR_NO_PIN_ENTRY:
        case GPG_ERR_NO_PASSPHRASE:
            return signing_.passphrase_file.empty()
                       ? " (the key is protected: set signing.passphrase_file, or preset the "
                         "passphrase in gpg-agent)"
                       : "";
        default:
            return "";
        }
    }

    void check(gpgme_error_t err, const std::string& what) const {
        if (err)
            throw Error(subject_of(signing_), what + ": " + gpg_error_text(err));
    }

    const config::SigningConfig& signing_;
    Context context_;
    Key key_;
    std::string passphrase_;
};

// Armor headers follow the "-----BEGIN PGP SIGNATURE-----" line.
std::string add_comment(const std::string& signed_text, const std::string& comment) {
    const std::string marker = "-----BEGIN PGP SIGNATURE-----\n";
    const size_t at = signed_text.find(marker);
    if (at == std::string::npos)
        return signed_text;
    std::string text = signed_text;
    text.insert(at + marker.size(), "Comment: " + comment + "\n");
    return text;
}

} // namespace

void check_signing_key(const config::SigningConfig& signing) {
    Session session(signing);
    session.check_usable();
    // A real signature, so that a wrong passphrase, a missing agent or a
    // clock before the key's creation stop the run before any work.
    session.clearsign("squashpub signing check\n");
}

bool signed_by_key(const config::SigningConfig& signing, const std::string& clearsigned,
                   std::string* signer) {
    Session session(signing);
    *signer = session.signer_of(clearsigned);
    return session.is_ours(*signer);
}

std::string clearsign(const config::SigningConfig& signing, const std::string& body,
                      const std::string& current_name) {
    Session session(signing);
    session.check_usable();
    std::string text = session.clearsign(body);
    if (signing.current_in_comment)
        text = add_comment(text, "Current: " + current_name);
    return text;
}

} // namespace squashpub::publisher
