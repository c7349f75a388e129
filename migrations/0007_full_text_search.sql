-- Full-text search over content, for KEYWORD and HYBRID search: a generated tsvector (language
-- fixed per deployment by TEXT_SEARCH_CONFIG) and a GIN index on it, inherited by every
-- partition, so a keyword match is an index lookup within one tenant's partition or bucket.
alter table documents
  add column content_tsv tsvector generated always as (to_tsvector(':TEXT_SEARCH_CONFIG'::regconfig, content)) stored;

create index documents_content_tsv_idx on documents using gin (content_tsv);
