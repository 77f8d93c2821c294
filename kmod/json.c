// SPDX-License-Identifier: GPL-2.0
/*
 * JSON output helpers.
 *
 * Strings are escaped so that any byte sequence yields valid JSON, as
 * docs/proc-format.md ("Escaping") specifies:
 *  - '"' and '\' become \" and \\;
 *  - bytes below 0x20 and 0x7f become \u00xx, with the short forms
 *    \b \t \n \f \r;
 *  - valid UTF-8 sequences are copied unchanged;
 *  - each byte that does not start a valid UTF-8 sequence becomes U+FFFD
 *    and exactly one byte is consumed, as Go's utf8.DecodeRune does.
 *    Overlong forms, surrogates, code points above U+10FFFF and
 *    truncated sequences are invalid.
 */
#include <linux/seq_file.h>
#include "kwarden.h"

/* U+FFFD REPLACEMENT CHARACTER in UTF-8. */
static const char kw_replacement[] = "\xef\xbf\xbd";

/*
 * Length of the valid UTF-8 sequence that starts at @s (2 to 4), or 0 if
 * the lead byte at @s does not start one. @s[0] must be >= 0x80. The
 * accepted ranges of the second byte are those of Go's unicode/utf8 (and
 * of RFC 3629): they exclude overlongs (E0 80..9F, F0 80..8F), surrogates
 * (ED A0..BF) and values above U+10FFFF (F4 90..BF, F5..FF).
 */
static unsigned int kw_utf8_len(const u8 *s, size_t avail)
{
	u8 lo = 0x80, hi = 0xbf;
	unsigned int need, i;
	u8 c = s[0];

	if (c < 0xc2)
		return 0;	/* continuation byte or overlong 2-byte lead */
	if (c < 0xe0) {
		need = 2;
	} else if (c < 0xf0) {
		need = 3;
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;
	} else if (c < 0xf5) {
		need = 4;
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;
	} else {
		return 0;
	}
	if (avail < need)
		return 0;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < need; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return need;
}

/* Writes @len bytes at @str as a quoted, escaped JSON string. */
void kw_json_str(struct seq_file *m, const char *str, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	const u8 *s = (const u8 *)str;
	size_t i = 0, run = 0;
	char esc[7];

	seq_putc(m, '"');
	while (i < len) {
		u8 c = s[i];
		unsigned int n;

		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
			i++;
			continue;
		}
		if (c >= 0x80) {
			n = kw_utf8_len(s + i, len - i);
			if (n) {
				i += n;
				continue;
			}
		}
		/* Flush the run of bytes that are copied unchanged. */
		if (i > run)
			seq_write(m, s + run, i - run);
		switch (c) {
		case '"':
			seq_write(m, "\\\"", 2);
			break;
		case '\\':
			seq_write(m, "\\\\", 2);
			break;
		case '\b':
			seq_write(m, "\\b", 2);
			break;
		case '\t':
			seq_write(m, "\\t", 2);
			break;
		case '\n':
			seq_write(m, "\\n", 2);
			break;
		case '\f':
			seq_write(m, "\\f", 2);
			break;
		case '\r':
			seq_write(m, "\\r", 2);
			break;
		default:
			if (c >= 0x80) {
				seq_write(m, kw_replacement, 3);
			} else {
				esc[0] = '\\';
				esc[1] = 'u';
				esc[2] = '0';
				esc[3] = '0';
				esc[4] = hex[c >> 4];
				esc[5] = hex[c & 0xf];
				seq_write(m, esc, 6);
			}
			break;
		}
		i++;
		run = i;
	}
	if (i > run)
		seq_write(m, s + run, i - run);
	seq_putc(m, '"');
}

void kw_json_cstr(struct seq_file *m, const char *s)
{
	kw_json_str(m, s, strlen(s));
}

const char *kw_json_bool(bool b)
{
	return b ? "true" : "false";
}

/* Opens a document with the common header fields (no closing brace). */
void kw_json_begin(struct seq_file *m, const char *kind, u64 time_ns)
{
	seq_printf(m, "{\"schema\":%d,\"kind\":\"%s\",\"time_ns\":%llu",
		   KW_SCHEMA, kind, time_ns);
}
