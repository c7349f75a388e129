-- pgvector provides the vector type, its distance operators and the HNSW index.
create extension if not exists vector;
