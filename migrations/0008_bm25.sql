-- BM25 keyword ranking where the engine has it: the pg_textsearch extension (shipped with the
-- embedded engine; installable on PostgreSQL 17+). One bm25 index on documents becomes one per
-- partition, each with its own term statistics. Where pg_textsearch is not available this does
-- nothing and keyword search ranks with ts_rank (the search reports which in info.keywordRanking).
do $$
begin
  if exists (select 1 from pg_available_extensions where name = 'pg_textsearch')
     and not exists (select 1 from pg_extension where extname = 'citus') then
    create extension if not exists pg_textsearch;
    execute 'create index documents_content_bm25_idx on documents using bm25 (content) with (text_config = '
      || quote_literal(':TEXT_SEARCH_CONFIG') || ')';
  end if;
end
$$;
