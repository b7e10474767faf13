/* fuzz_headers — the typed header parsers of msg.h, one value at a time.
 *
 * The first byte picks the parser, counted from 'a' so that seeds stay
 * readable; the rest of the input is the header value:
 *
 *   a Via               h Subscription-State  o 1*DIGIT (uint)      v method name
 *   b name-addr         i Session-Expires     p ;parameters         w sipd_unquote
 *   c name-addr, <>     j Retry-After         q token
 *   d CSeq              k Replaces            r Content-Disposition
 *   e RAck              l Reason              s Call-ID
 *   f media type        m credentials and     t auth-params
 *   g Event               challenges          u header name
 *                       n Warning
 */
#include <stdlib.h>

#include "fuzz_common.h"

#define KINDS (FZ__COUNT + 1)
#define KIND_UNQUOTE FZ__COUNT

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	unsigned kind = (uint8_t)(data[0] - 'a') % KINDS;
	size_t n = size - 1;
	char *buf = fz_dup(data + 1, n);
	struct sipd_str v = {buf, n};

	if (kind == KIND_UNQUOTE)
		fz_unquote(v);
	else
		fz_parse_value((enum fz_kind)kind, v, buf, n);

	free(buf);
	return 0;
}
