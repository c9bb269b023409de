/* log_: leveled logging to stderr (journald adds timestamps under systemd).
 *
 * Never pass PHI to these functions: no names, member ids, birth dates,
 * diagnosis values or segment contents. Claim ids, byte offsets, segment
 * positions, counts and error text are fine.
 */
#ifndef CLAIMD_LOG_H
#define CLAIMD_LOG_H

enum log_level { LOG_LVL_ERR = 3, LOG_LVL_WARN = 4, LOG_LVL_NOTICE = 5, LOG_LVL_INFO = 6, LOG_LVL_DEBUG = 7 };

/* Sets the most verbose level that is printed (default LOG_LVL_NOTICE). */
void log_set_level(enum log_level lvl);
enum log_level log_get_level(void);

/* Parses "err", "warning", "notice", "info" or "debug"; -EINVAL otherwise. */
int log_level_parse(const char *s, enum log_level *out);

/* Prints "<N>claimd: module: message" (the <N> prefix only under systemd, where
 * journald reads it as the priority). Thread-safe: one write(2) per line. */
void log_msg(enum log_level lvl, const char *module, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define log_err(mod, ...)    log_msg(LOG_LVL_ERR, mod, __VA_ARGS__)
#define log_warn(mod, ...)   log_msg(LOG_LVL_WARN, mod, __VA_ARGS__)
#define log_notice(mod, ...) log_msg(LOG_LVL_NOTICE, mod, __VA_ARGS__)
#define log_info(mod, ...)   log_msg(LOG_LVL_INFO, mod, __VA_ARGS__)
#define log_debug(mod, ...)  log_msg(LOG_LVL_DEBUG, mod, __VA_ARGS__)

#endif
