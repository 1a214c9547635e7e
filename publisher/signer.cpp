#include "publisher/signer.hpp"

#include "core/error.hpp"
#include "core/files.hpp"

#include <cstring>
#include <ctime>
#include <gpgme.h>
#include <memory>
#include <optional>
#include <vector>

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
    std::string keys;
    for (const std::string& key : signing.keys)
        keys += (keys.empty() ? "" : ", ") + key;
    return (signing.keys.size() == 1 ? "signing key " : "signing keys ") + keys;
}

std::string subject_of(gpgme_key_t key) {
    return std::string("signing key ") + (key->fpr ? key->fpr : "?");
}

// SHA-256 and stronger; a fresh GnuPG home signs with SHA-256 unless its
// gpg.conf says otherwise, and GPGME cannot choose the digest per call.
bool strong_digest(gpgme_hash_algo_t algo) {
    return algo == GPGME_MD_SHA256 || algo == GPGME_MD_SHA384 || algo == GPGME_MD_SHA512;
}

std::optional<UtcTime> expiry_of(long expires) {
    if (expires <= 0)
        return std::nullopt;
    return UtcTime(std::chrono::seconds(expires));
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
        for (const std::string& fingerprint : signing.keys) {
            gpgme_key_t key = nullptr;
            gpgme_error_t err = gpgme_get_key(context_.get(), fingerprint.c_str(), &key, 1);
            if (err)
                throw Error("signing key " + fingerprint,
                            "no usable secret key in " +
                                (signing.gnupg_home.empty() ? std::string("the GnuPG home")
                                                            : signing.gnupg_home) +
                                ": " + gpg_error_text(err));
            keys_.emplace_back(key);
        }
    }

    void check_usable() const {
        for (const Key& owned : keys_) {
            gpgme_key_t key = owned.get();
            if (key->revoked)
                throw Error(subject_of(key), "is revoked");
            if (key->expired)
                throw Error(subject_of(key), "has expired");
            if (key->disabled)
                throw Error(subject_of(key), "is disabled");
            if (!signing_subkey(key))
                throw Error(subject_of(key), "has no valid signing (sub)key");
        }
    }

    // The expiry of each key and of the subkey GnuPG signs with.
    std::vector<KeyExpiry> expiries() const {
        std::vector<KeyExpiry> result;
        for (const Key& owned : keys_) {
            gpgme_key_t key = owned.get();
            KeyExpiry expiry;
            expiry.fingerprint = key->fpr ? key->fpr : "";
            if (key->subkeys)
                expiry.key_expires = expiry_of(key->subkeys->expires);
            if (gpgme_subkey_t sub = signing_subkey(key)) {
                expiry.signing_subkey = sub->fpr ? sub->fpr : "";
                expiry.signing_subkey_expires = expiry_of(sub->expires);
            }
            result.push_back(expiry);
        }
        return result;
    }

    std::string clearsign(const std::string& body) {
        gpgme_signers_clear(context_.get());
        for (const Key& key : keys_)
            check(gpgme_signers_add(context_.get(), key.get()), "cannot select the key");
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
        size_t made = 0;
        for (gpgme_new_signature_t sig = result->signatures; sig; sig = sig->next, ++made)
            if (!strong_digest(sig->hash_algo))
                throw Error(subject_of(signing_),
                            std::string("signed with the weak digest ") +
                                gpgme_hash_algo_name(sig->hash_algo) +
                                "; add 'personal-digest-preferences SHA512' to gpg.conf in the "
                                "GnuPG home");
        if (made != keys_.size())
            throw Error(subject_of(signing_), "GnuPG made " + std::to_string(made) +
                                                  " signatures instead of " +
                                                  std::to_string(keys_.size()));
        size_t size = 0;
        char* text = gpgme_data_release_and_get_mem(output.release(), &size);
        std::string signed_text(text, size);
        gpgme_free(text);
        return signed_text;
    }

    // The signers of a clearsigned text (fingerprints or key ids, as GnuPG
    // reports them, even for keys not in this keyring).
    std::vector<std::string> signers_of(const std::string& text) {
        gpgme_data_t in = nullptr, out = nullptr;
        check(gpgme_data_new_from_mem(&in, text.data(), text.size(), 0), "out of memory");
        Data input(in);
        check(gpgme_data_new(&out), "out of memory");
        Data output(out);
        std::vector<std::string> signers;
        if (gpgme_op_verify(context_.get(), input.get(), nullptr, output.get()))
            return signers;
        gpgme_verify_result_t result = gpgme_op_verify_result(context_.get());
        for (gpgme_signature_t sig = result ? result->signatures : nullptr; sig; sig = sig->next)
            if (sig->fpr)
                signers.push_back(sig->fpr);
        return signers;
    }

    // Whether id (a fingerprint or key id) names one of our keys or a subkey.
    bool is_ours(std::string id) const {
        auto upper = [](std::string text) {
            for (char& c : text)
                c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
            return text;
        };
        id = upper(id);
        for (const Key& key : keys_)
            for (gpgme_subkey_t sub = key->subkeys; sub && !id.empty(); sub = sub->next)
                if (sub->fpr && upper(sub->fpr).ends_with(id))
                    return true;
        return false;
    }

  private:
    // What to do about the usual signing failures.
    std::string hint(gpgme_error_t err) const {
        for (const Key& key : keys_) {
            const long created = key->subkeys ? key->subkeys->timestamp : 0;
            if (created > static_cast<long>(std::time(nullptr)))
                return " (key " + std::string(key->fpr ? key->fpr : "?") +
                       " was created in the future: check the system clock)";
        }
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
    // The valid signing-capable subkey GnuPG would sign with (the newest).
    static gpgme_subkey_t signing_subkey(gpgme_key_t key) {
        gpgme_subkey_t chosen = nullptr;
        for (gpgme_subkey_t sub = key->subkeys; sub; sub = sub->next)
            if (sub->can_sign && !sub->expired && !sub->revoked && !sub->disabled &&
                (!chosen || sub->timestamp > chosen->timestamp))
                chosen = sub;
        return chosen;
    }

    Context context_;
    std::vector<Key> keys_;
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
    const std::vector<std::string> signers = session.signers_of(clearsigned);
    signer->clear();
    for (const std::string& id : signers) {
        if (session.is_ours(id)) {
            *signer = id;
            return true;
        }
        *signer += (signer->empty() ? "" : ", ") + id;
    }
    return false;
}

std::vector<KeyExpiry> signing_key_expiries(const config::SigningConfig& signing) {
    return Session(signing).expiries();
}

std::vector<std::string> expiry_warnings(const config::SigningConfig& signing, unsigned warn_days) {
    const UtcTime limit = utc_now() + std::chrono::days(warn_days);
    std::vector<std::string> warnings;
    for (const KeyExpiry& key : signing_key_expiries(signing)) {
        if (key.key_expires && *key.key_expires <= limit)
            warnings.push_back("signing key " + key.fingerprint + " expires on " +
                               format_utc(*key.key_expires) + ": extend it or rotate keys");
        else if (key.signing_subkey_expires && *key.signing_subkey_expires <= limit)
            warnings.push_back("the signing subkey " + key.signing_subkey + " of signing key " +
                               key.fingerprint + " expires on " +
                               format_utc(*key.signing_subkey_expires) +
                               ": extend it or add a new signing subkey");
    }
    return warnings;
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
