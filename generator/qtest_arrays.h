/* Query tests: array arguments and the untested: exemption (qtest_arrays.c). */
#ifndef SCHEMAC_GEN_QTEST_ARRAYS_H
#define SCHEMAC_GEN_QTEST_ARRAYS_H

#include "parse_util.h"
#include "qtest.h"

/* Whether an argument of array type t can be written in a test (its
 * elements become a C compound literal). */
bool qt_array_arg_supported(const m_type *t);
/* An array argument written as PostgreSQL text, "{0.5,1.5}": its elements. */
void qt_array_arg_text(pctx *c, const ynode *v, const m_type *t, qt_value *out);
/* Every element written in v is a value of t's element type. */
void qt_check_array_items(pctx *c, const ynode *v, const m_type *t, const qt_value *value);
/* untested: "reason" needs a reason, and a query that has tests is not untested. */
void qt_check_untested(pctx *c);

#endif
