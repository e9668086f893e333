/* Names, C types and text helpers shared by the views. */
#include <ctype.h>
#include <string.h>

#include "output.h"
#include "view_util.h"

const char *vu_upper(gen_arena *a, const char *s)
{
    char *u = gen_strdup(a, s);
    for (char *p = u; *p; p++)
        *p = (char)toupper((unsigned char)*p);
    return u;
}

/* Plurals no suffix rule gets right, and words that are their own plural. */
static const char *const irregular[][2] = {
    {"people", "person"},   {"children", "child"},   {"men", "man"},
    {"women", "woman"},     {"mice", "mouse"},       {"geese", "goose"},
    {"teeth", "tooth"},     {"feet", "foot"},        {"indices", "index"},
    {"matrices", "matrix"}, {"vertices", "vertex"},  {"criteria", "criterion"},
    {"phenomena", "phenomenon"}, {"movies", "movie"}, {"cookies", "cookie"},
    {"series", "series"},   {"species", "species"},  {"news", "news"},
    {"data", "data"},       {"metadata", "metadata"}, {"media", "media"},
    {"crises", "crisis"},   {"caches", "cache"},     {"niches", "niche"},
    {"houses", "house"},    {"causes", "cause"},     {"clauses", "clause"},
    {"pauses", "pause"},    {"uses", "use"},         {"excuses", "excuse"},
    {"responses", "response"}, {"licenses", "license"}, {"expenses", "expense"},
};

static bool ends_with(const char *s, size_t n, const char *suffix)
{
    size_t k = strlen(suffix);
    return n > k && strcmp(s + n - k, suffix) == 0;
}

/* English singular of a table name's last word: collections -> collection,
 * strategies -> strategy, statuses -> status, analyses -> analysis,
 * batches -> batch, boxes -> box, people -> person. A table's own
 * `singular:` wins over this (vu_table_singular). */
const char *vu_singular(gen_arena *a, const char *plural)
{
    size_t n = strlen(plural);
    const char *us = strrchr(plural, '_');
    const char *word = us ? us + 1 : plural;
    size_t head = (size_t)(word - plural);
    for (size_t i = 0; i < sizeof irregular / sizeof irregular[0]; i++)
        if (strcmp(word, irregular[i][0]) == 0)
            return gen_printf(a, "%.*s%s", (int)head, plural, irregular[i][1]);
    if (ends_with(plural, n, "yses") || ends_with(plural, n, "theses"))
        return gen_printf(a, "%.*sis", (int)(n - 2), plural); /* analyses, hypotheses */
    if (ends_with(plural, n, "ies"))
        return gen_printf(a, "%.*sy", (int)(n - 3), plural);
    if (ends_with(plural, n, "uses") || ends_with(plural, n, "sses") || ends_with(plural, n, "xes") ||
        ends_with(plural, n, "ches") || ends_with(plural, n, "shes") || ends_with(plural, n, "zzes"))
        return gen_strndup(a, plural, n - 2);
    if (n > 1 && plural[n - 1] == 's' && plural[n - 2] != 's' && plural[n - 2] != 'u' &&
        plural[n - 2] != 'i')
        return gen_strndup(a, plural, n - 1);
    return plural;
}

const char *vu_table_singular(gen_arena *a, const m_table *t)
{
    return t->singular ? t->singular : vu_singular(a, t->name);
}

/* "a" or "an" before word, by its sound as far as spelling tells: an
 * operation, a user (u sounding "you"), an update, an hour is not tried. */
const char *vu_article(const char *word)
{
    char c = word[0];
    if (c == 'a' || c == 'e' || c == 'i' || c == 'o')
        return "an";
    if (c != 'u')
        return "a";
    bool you = word[1] && word[2] && !strchr("aeiou", word[1]) && strchr("aeiou", word[2]);
    return you || strncmp(word, "uni", 3) == 0 ? "a" : "an";
}

const char *vu_kind(const m_type *t)
{
    static const char *const kinds[] = {
        [T_SMALLINT] = "SC_K_INT16", [T_INTEGER] = "SC_K_INT32", [T_BIGINT] = "SC_K_INT64",
        [T_SERIAL] = "SC_K_INT32", [T_BIGSERIAL] = "SC_K_INT64", [T_BOOLEAN] = "SC_K_BOOL",
        [T_REAL] = "SC_K_FLOAT4", [T_DOUBLE] = "SC_K_FLOAT8", [T_NUMERIC] = "SC_K_NUMERIC",
        [T_TEXT] = "SC_K_TEXT", [T_VARCHAR] = "SC_K_TEXT", [T_UUID] = "SC_K_UUID",
        [T_TIMESTAMPTZ] = "SC_K_TIME", [T_TIMESTAMP] = "SC_K_TIME", [T_DATE] = "SC_K_DATE",
        [T_INTERVAL] = "SC_K_INTERVAL", [T_JSON] = "SC_K_JSON", [T_JSONB] = "SC_K_JSONB",
        [T_BYTEA] = "SC_K_BYTES", [T_TSVECTOR] = "SC_K_TSVECTOR", [T_VECTOR] = "SC_K_VECTOR",
        [T_ENUM] = "SC_K_ENUM",
        [T_CHAR] = "SC_K_TEXT", [T_TIME] = "SC_K_TIMEOFDAY", [T_TIMETZ] = "SC_K_TIMETZ",
        [T_MONEY] = "SC_K_MONEY", [T_XML] = "SC_K_TEXT", [T_BIT] = "SC_K_BIT",
        [T_VARBIT] = "SC_K_BIT", [T_INET] = "SC_K_INET", [T_CIDR] = "SC_K_INET",
        [T_MACADDR] = "SC_K_MACADDR", [T_POINT] = "SC_K_POINT", [T_INT4RANGE] = "SC_K_INT4RANGE",
        [T_INT8RANGE] = "SC_K_INT8RANGE", [T_TSTZRANGE] = "SC_K_TSTZRANGE",
        [T_DATERANGE] = "SC_K_DATERANGE", [T_TEXTMAP] = "SC_K_TEXT", [T_HALFVEC] = "SC_K_HALFVEC",
    };
    return kinds[t->kind];
}

bool vu_is_pointer(const m_type *t)
{
    if (t->array)
        return true;
    switch (t->kind) {
    case T_NUMERIC: case T_TEXT: case T_VARCHAR: case T_UUID: case T_JSON: case T_JSONB:
    case T_TSVECTOR: case T_VECTOR: case T_BYTEA: case T_CHAR: case T_XML: case T_BIT:
    case T_VARBIT: case T_INET: case T_CIDR: case T_MACADDR: case T_TEXTMAP: case T_HALFVEC:
        return true;
    default:
        return false;
    }
}

const char *vu_c_type(gen_arena *a, const m_schema *s, const m_type *t)
{
    if (t->array)
        return "sc_array";
    switch (t->kind) {
    case T_SMALLINT: return "int16_t";
    case T_INTEGER: case T_SERIAL: case T_DATE: return "int32_t";
    case T_BIGINT: case T_BIGSERIAL: return "int64_t";
    case T_BOOLEAN: return "bool";
    case T_REAL: return "float";
    case T_DOUBLE: return "double";
    case T_TIMESTAMPTZ: case T_TIMESTAMP: return "sc_time";
    case T_INTERVAL: return "sc_interval";
    case T_JSON: case T_JSONB: return "json_t *";
    case T_BYTEA: return "sc_bytes";
    case T_VECTOR: case T_HALFVEC: return "sc_vector";
    case T_ENUM: return gen_printf(a, "%s_%s", s->prefix, t->enum_name);
    case T_TIME: case T_MONEY: return "int64_t";
    case T_TIMETZ: return "sc_timetz";
    case T_POINT: return "sc_point";
    case T_INT4RANGE: case T_INT8RANGE: case T_TSTZRANGE: case T_DATERANGE: return "sc_range";
    default: return "char *";
    }
}

/* Values in a struct of their own (sc_bytes, sc_vector): passed by pointer,
 * NULL being SQL NULL, and copied into the argument struct. */
bool vu_is_blob(const m_type *t)
{
    return !t->array && (t->kind == T_BYTEA || t->kind == T_VECTOR || t->kind == T_HALFVEC);
}

/* "char *" + "name" -> "char *name"; "int32_t" + "x" -> "int32_t x". */
const char *vu_decl(gen_arena *a, const char *type, const char *name)
{
    size_t n = strlen(type);
    return gen_printf(a, "%s%s%s", type, type[n - 1] == '*' ? "" : " ", name);
}

const char *vu_sql_type(gen_arena *a, const m_schema *s, const m_type *t)
{
    m_type base = *t;
    if (base.kind == T_SERIAL)
        base.kind = T_INTEGER;
    if (base.kind == T_BIGSERIAL)
        base.kind = T_BIGINT;
    const char *sql = m_type_sql(a, &base);
    return base.kind == T_ENUM ? gen_printf(a, "%s.%s", s->name, sql) : sql;
}

/* The cast after a parameter bound to a column of type t: none for an
 * extension's type (its name resolves on the DDL's search_path, perhaps not
 * on the session's; the column types the parameter). */
const char *vu_param_cast(gen_arena *a, const m_schema *s, const m_type *t)
{
    if (t->kind == T_TEXTMAP)
        return "";
    return gen_printf(a, "::%s", vu_sql_type(a, s, t));
}

/* Wraps text into a C comment of at most `width` columns. */
json_t *vu_text(const char *text)
{
    return json_string_nocheck(text);
}

json_t *vu_pair(const char *key, const char *text)
{
    json_t *o = json_object();
    json_object_set_new_nocheck(o, key, vu_text(text));
    return o;
}

const char *vu_comment(gen_arena *a, const char *text, const char *indent, int width)
{
    if (!text || !*text)
        return NULL;
    gen_buf b;
    gen_buf_init(&b, a);
    gen_buf_printf(&b, "%s/* ", indent);
    int start = (int)strlen(indent) + 3, col = start;
    const char *p = text;
    while (*p) {
        while (*p == ' ' || *p == '\n')
            p++;
        size_t w = strcspn(p, " \n");
        if (!w)
            break;
        if (col > start && col + 1 + (int)w > width - 3) {
            gen_buf_printf(&b, "\n%s * ", indent);
            col = start;
        } else if (col > start) {
            gen_buf_puts(&b, " ");
            col++;
        }
        gen_buf_add(&b, p, w);
        col += (int)w;
        p += w;
    }
    gen_buf_puts(&b, " */");
    /* A "*" "/" inside the text would end the comment early. */
    char *out = b.data;
    for (char *q = out; (q = strstr(q, "*/")) && q[2]; q++)
        q[1] = ' ';
    return out;
}

/* The C string literal of text, one literal per line, continuation lines
 * indented by `indent`. */
const char *vu_c_string(gen_arena *a, const char *text, const char *indent)
{
    gen_buf b;
    gen_buf_init(&b, a);
    gen_buf_puts(&b, "\"");
    for (const char *p = text; *p; p++) {
        size_t plain = strcspn(p, "\"\\\t\n");
        if (plain) { /* most of the text needs no escape: copy it in one go */
            gen_buf_add(&b, p, plain);
            p += plain - 1;
            continue;
        }
        switch (*p) {
        case '"': gen_buf_puts(&b, "\\\""); break;
        case '\\': gen_buf_puts(&b, "\\\\"); break;
        case '\t': gen_buf_puts(&b, "\\t"); break;
        case '\n':
            gen_buf_puts(&b, "\\n\"");
            if (p[1])
                gen_buf_printf(&b, "\n%s\"", indent);
            else
                return b.data;
            break;
        default: gen_buf_add(&b, p, 1);
        }
    }
    gen_buf_puts(&b, "\"");
    return b.data;
}

/* Joins strings with a separator. */
const char *vu_join(gen_arena *a, const char *const *items, size_t n, const char *sep)
{
    gen_buf b;
    gen_buf_init(&b, a);
    for (size_t i = 0; i < n; i++) {
        if (i)
            gen_buf_puts(&b, sep);
        gen_buf_puts(&b, items[i]);
    }
    return b.data ? b.data : "";
}

/* The type of a member of a row the runtime decodes: JSON stays text until
 * sc_json_value asks for it. */
const char *vu_row_type(gen_arena *a, const m_schema *s, const m_type *t)
{
    if (!t->array && (t->kind == T_JSON || t->kind == T_JSONB))
        return "sc_json";
    return vu_c_type(a, s, t);
}

/* The type of a member the caller fills in: strings are borrowed, const. */
const char *vu_input_type(gen_arena *a, const m_schema *s, const m_type *t)
{
    const char *type = vu_c_type(a, s, t);
    return strcmp(type, "char *") == 0 ? "const char *" : type;
}

const char *vu_opt_type(gen_arena *a, const m_schema *s, const m_type *t)
{
    switch (t->kind) {
    case T_SMALLINT: return "sc_opt_i16";
    case T_INTEGER: case T_SERIAL: case T_DATE: return "sc_opt_i32";
    case T_BIGINT: case T_BIGSERIAL: return "sc_opt_i64";
    case T_BOOLEAN: return "sc_opt_bool";
    case T_REAL: return "sc_opt_f32";
    case T_DOUBLE: return "sc_opt_f64";
    case T_TIMESTAMPTZ: case T_TIMESTAMP: return "sc_opt_time";
    case T_INTERVAL: return "sc_opt_interval";
    case T_ENUM: return gen_printf(a, "%s_opt_%s", s->prefix, t->enum_name);
    case T_TIME: case T_MONEY: return "sc_opt_i64";
    case T_TIMETZ: return "sc_opt_timetz";
    case T_POINT: return "sc_opt_point";
    case T_INT4RANGE: case T_INT8RANGE: case T_TSTZRANGE: case T_DATERANGE: return "sc_opt_range";
    default: return vu_c_type(a, s, t);
    }
}

const char *vu_settings_init(gen_arena *a, const m_query *q)
{
    if (!q->settings.n)
        return NULL;
    gen_buf b;
    gen_buf_init(&b, a);
    gen_buf_puts(&b, "(const char *const[]){");
    for (size_t i = 0; i < q->settings.n; i++)
        gen_buf_printf(&b, "\"%s\", \"%s\", ", q->settings.items[i], q->setting_values[i]);
    gen_buf_puts(&b, "NULL}");
    return b.data;
}
