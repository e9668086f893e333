-- The contrib extensions tests/generator/types/types.yaml uses (they come
-- with postgresql-15); prepended to the generated schema.sql.
CREATE EXTENSION IF NOT EXISTS hstore;
CREATE EXTENSION IF NOT EXISTS ltree;
CREATE EXTENSION IF NOT EXISTS citext;
