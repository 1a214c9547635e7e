#include "verifier/signature.hpp"

#include "core/error.hpp"
#include "core/files.hpp"
#include "core/process.hpp"

#include <algorithm>
#include <gpgme.h>
#include <memory>
#include <sys/stat.h>

namespace squashpub::verifier {
namespace {

struct ContextDeleter {
    void operator()(gpgme_ctx_t ctx) const { gpgme_release(ctx); }
};
struct DataDeleter {
    void operator()(gpgme_data_t data) const { gpgme_data_release(data); }
};
using Context = std::unique_ptr<gpgme_context, ContextDeleter>;
using Data = std::unique_ptr<gpgme_data, DataDeleter>;

void check(gpgme_error_t err, const std::string& subject, const std::string& what) {
    if (err)
        throw Error(subject, what + ": " + gpgme_strerror(err));
}

std::string describe_status(gpgme_signature_t sig) {
    switch (gpgme_err_code(sig->status)) {
    case GPG_ERR_NO_PUBKEY:
        return std::string("signed by a key that is not in the keyring (") +
               (sig->fpr ? sig->fpr : "?") + ")";
    case GPG_ERR_BAD_SIGNATURE:
        return "bad signature: the signed text was changed";
    case GPG_ERR_KEY_EXPIRED:
        return "the signing key has expired";
    case GPG_ERR_SIG_EXPIRED:
        return "the signature has expired";
    case GPG_ERR_CERT_REVOKED:
        return "the signing key is revoked";
    default:
        return std::string("signature not valid: ") + gpgme_strerror(sig->status);
    }
}

SignatureInfo describe(gpgme_signature_t sig) {
    SignatureInfo info;
    info.fingerprint = sig->fpr ? sig->fpr : "";
    const char* digest = gpgme_hash_algo_name(sig->hash_algo);
    info.digest = digest ? digest : "unknown (" + std::to_string(sig->hash_algo) + ")";
    info.key_known = gpgme_err_code(sig->status) != GPG_ERR_NO_PUBKEY;
    if (gpgme_err_code(sig->status) != GPG_ERR_NO_ERROR)
        info.problem = describe_status(sig);
    else if (sig->summary &
             (GPGME_SIGSUM_KEY_REVOKED | GPGME_SIGSUM_KEY_EXPIRED | GPGME_SIGSUM_SIG_EXPIRED))
        info.problem = sig->summary & GPGME_SIGSUM_KEY_REVOKED   ? "the signing key is revoked"
                       : sig->summary & GPGME_SIGSUM_KEY_EXPIRED ? "the signing key has expired"
                                                                 : "the signature has expired";
    else
        info.problem = weak_digest_problem(sig->hash_algo);
    info.good = info.problem.empty();
    return info;
}

// With one signature, its problem; with several, each one's, by key.
std::string combined_problem(const std::vector<SignatureInfo>& signatures) {
    if (signatures.size() == 1)
        return signatures.front().problem;
    std::string text = "none of the " + std::to_string(signatures.size()) +
                       " signatures is good by a key of the keyring:";
    for (const SignatureInfo& info : signatures)
        text += " " + (info.fingerprint.empty() ? std::string("?") : info.fingerprint) + ": " +
                info.problem + ";";
    text.pop_back();
    return text;
}

// A private home holding only the given keyring: nothing else can vouch.
class ThrowawayHome {
  public:
    explicit ThrowawayHome(const std::string& scratch_dir) : dir_(scratch_dir, "gnupg") {
        ::chmod(dir_.path().c_str(), 0700);
    }
    ~ThrowawayHome() {
        // Stop any agent or dirmngr gpg may have started for this home.
        try {
            run_process({"gpgconf", "--homedir", dir_.path(), "--kill", "all"}, {});
        } catch (const Error&) {
        }
    }
    const std::string& path() const { return dir_.path(); }

  private:
    TempDir dir_;
};

} // namespace

std::string weak_digest_problem(int gpgme_hash_algo) {
    switch (gpgme_hash_algo) {
    case GPGME_MD_SHA256:
    case GPGME_MD_SHA384:
    case GPGME_MD_SHA512:
        return "";
    default: {
        const char* name = gpgme_hash_algo_name(static_cast<gpgme_hash_algo_t>(gpgme_hash_algo));
        return std::string("signed with a ") + (name ? name : "unknown") +
               " digest, which is too weak to trust: the publisher must sign with SHA-256 or "
               "stronger (SHA512 is what squashpub publish uses)";
    }
    }
}

SignatureCheck verify_clearsigned(const std::string& text, const std::string& keyring,
                                  const std::string& scratch_dir) {
    gpgme_check_version(nullptr);
    ThrowawayHome home(scratch_dir);
    gpgme_ctx_t raw = nullptr;
    check(gpgme_new(&raw), "GPGME", "cannot start");
    Context ctx(raw);
    check(
        gpgme_ctx_set_engine_info(ctx.get(), GPGME_PROTOCOL_OpenPGP, nullptr, home.path().c_str()),
        "GPGME", "cannot use a private GnuPG home");

    const std::string keys = read_whole_file(keyring);
    gpgme_data_t key_data = nullptr;
    check(gpgme_data_new_from_mem(&key_data, keys.data(), keys.size(), 0), keyring,
          "out of memory");
    Data key_holder(key_data);
    check(gpgme_op_import(ctx.get(), key_holder.get()), keyring, "cannot import keys");
    gpgme_import_result_t imported = gpgme_op_import_result(ctx.get());
    if (!imported || imported->considered == 0)
        throw Error(keyring, "no OpenPGP keys in this file");

    gpgme_data_t signed_data = nullptr, plain_data = nullptr;
    check(gpgme_data_new_from_mem(&signed_data, text.data(), text.size(), 0), "manifest",
          "out of memory");
    Data signed_holder(signed_data);
    check(gpgme_data_new(&plain_data), "manifest", "out of memory");
    Data plain_holder(plain_data);

    SignatureCheck result;
    gpgme_error_t err =
        gpgme_op_verify(ctx.get(), signed_holder.get(), nullptr, plain_holder.get());
    if (err) {
        result.problem = std::string("not a valid OpenPGP signed message: ") + gpgme_strerror(err);
        return result;
    }
    size_t size = 0;
    char* plain = gpgme_data_release_and_get_mem(plain_holder.release(), &size);
    result.signed_text.assign(plain ? plain : "", size);
    gpgme_free(plain);

    gpgme_verify_result_t verified = gpgme_op_verify_result(ctx.get());
    if (!verified || !verified->signatures) {
        result.problem = "no signature found";
        return result;
    }
    for (gpgme_signature_t sig = verified->signatures; sig; sig = sig->next)
        result.signatures.push_back(describe(sig));
    const auto good = std::find_if(result.signatures.begin(), result.signatures.end(),
                                   [](const SignatureInfo& info) { return info.good; });
    result.good = good != result.signatures.end();
    result.fingerprint = result.good ? good->fingerprint : result.signatures.front().fingerprint;
    if (!result.good)
        result.problem = combined_problem(result.signatures);
    return result;
}

} // namespace squashpub::verifier
