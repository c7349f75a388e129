-- Keep vectors in the heap instead of TOAST. A 512-dimension vector is about 2 kB, just over
-- the TOAST threshold, so by default it is moved out of line; the planner's cost of a sequential
-- scan then leaves out reading it, a scan plus sort looks cheaper than the HNSW index, and the
-- index is never used (pgvector issue 784). Recurses to existing partitions; new ones inherit it.
-- PLAIN never compresses (vectors do not compress) and fits the 2,000 dimensions HNSW can index.
alter table documents alter column embedding set storage plain;
