#include <git2.h>

/* git_libgit2_opts is C-variadic, which Swift cannot call: wrap each option Petrel needs. */
static inline int petrel_git_set_owner_validation(int enabled) {
    return git_libgit2_opts(GIT_OPT_SET_OWNER_VALIDATION, enabled);
}
static inline int petrel_git_set_strict_hash_verification(int enabled) {
    return git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, enabled);
}
