/*
 * quote.c: quoting for sh and for systemd unit files.
 */
#include "plugin/util/quote.h"

int quote_sh(struct rt_buf *out, const char *s)
{
	int ret = rt_buf_addch(out, '\'');

	for (; !ret && *s; s++)
		ret = *s == '\'' ? rt_buf_addstr(out, "'\\''") :
				   rt_buf_addch(out, *s);
	return ret ? ret : rt_buf_addch(out, '\'');
}

int quote_unit(struct rt_buf *out, const char *s, bool dollar)
{
	int ret = rt_buf_addch(out, '"');

	for (; !ret && *s; s++) {
		if (*s == '"' || *s == '\\')
			ret = rt_buf_addch(out, '\\');
		else if (*s == '%' || (dollar && *s == '$'))
			ret = rt_buf_addch(out, *s);
		if (!ret)
			ret = rt_buf_addch(out, *s);
	}
	return ret ? ret : rt_buf_addch(out, '"');
}
