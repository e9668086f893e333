/* schemac erd: the validated model as an entity-relationship diagram, in
 * Graphviz DOT, SVG (DOT through Graphviz's `dot`) or Mermaid erDiagram
 * (for pull-request descriptions). Output is a function of the model alone:
 * declaration order, no timestamps. */
#ifndef SCHEMAC_GEN_ERD_H
#define SCHEMAC_GEN_ERD_H

#include <stdbool.h>

#include "model.h"

typedef enum erd_format { ERD_DOT, ERD_SVG, ERD_MERMAID } erd_format;

/* "dot", "svg" or "mermaid"; false for anything else. */
bool erd_format_parse(const char *name, erd_format *out);

/* The diagram as DOT (ERD_DOT and ERD_SVG) or Mermaid text, in a. */
const char *erd_render(const m_schema *s, erd_format f, gen_arena *a);

#endif
