/* policy_names.h -- is this string a valid namespace pattern, container
 * name, label key...?  Validators for policy values.
 *
 * Each returns NULL when the string is fine, or a static phrase that
 * completes "\"<value>\" ..." in an error message and says what is allowed,
 * e.g. "is not a valid container name (lowercase letters, digits and '-',
 * at most 63 characters)".  The checks are Kubernetes' own rules where
 * Kubernetes has one, so a value that could never match anything is caught
 * when the policy loads, not silently ignored at admission.
 * Image prefixes are checked by imgref_normalise_prefix (imgref.h), the
 * same code that matches them.
 * Pure; thread-safe.
 */
#ifndef TOLLGATE_POLICY_NAMES_H
#define TOLLGATE_POLICY_NAMES_H

/* metadata.name of a policy: a DNS subdomain (RFC 1123), 1..253 chars. */
const char *policy_check_policy_name(const char *s);

/* A namespace name (DNS label) in which '*' and '?' may stand for runs of
 * characters and single characters. */
const char *policy_check_namespace_pattern(const char *s);

/* A container name (DNS label, 1..63 chars). */
const char *policy_check_container_name(const char *s);

/* A label key ("app", "example.com/tier") and a label value ("" allowed),
 * as Kubernetes validates them. */
const char *policy_check_label_key(const char *s);
const char *policy_check_label_value(const char *s);

/* An environment variable name in which '*' and '?' may stand for runs of
 * characters and single characters: 1..256 printable ASCII characters,
 * no '=' and no space. */
const char *policy_check_env_name_pattern(const char *s);

/* Free text such as exempt.reason: not empty, at most 1024 characters. */
const char *policy_check_reason(const char *s);

/* A Linux capability as Kubernetes writes it in capabilities.add: upper
 * case, without the CAP_ prefix ("NET_BIND_SERVICE"), one of the kernel's
 * (capabilities(7), up to CHECKPOINT_RESTORE).  "ALL" is refused: as an
 * allowed addition it would allow every capability. */
const char *policy_check_capability(const char *s);

#endif
