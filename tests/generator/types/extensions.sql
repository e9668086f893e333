-- The contrib extensions tests/generator/types/types.yaml uses (they come
-- with postgresql-15), prepended to the generated schema.sql. They live in
-- the schema itself: the DDL resolves types on search_path pg_catalog, tyt.
CREATE SCHEMA IF NOT EXISTS tyt;
CREATE EXTENSION IF NOT EXISTS hstore SCHEMA tyt;
CREATE EXTENSION IF NOT EXISTS ltree SCHEMA tyt;
CREATE EXTENSION IF NOT EXISTS citext SCHEMA tyt;
