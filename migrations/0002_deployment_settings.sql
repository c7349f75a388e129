-- What every row of this database was written for: the embedding dimension and the distance
-- metric. Fixed when the database is created (from the configured embedder and DISTANCE_METRIC);
-- the server compares them with its configuration at startup and refuses a mismatch rather than
-- failing on the first write.
create table deployment_settings (
  id boolean primary key default true check (id),
  embedding_dimensions integer not null check (embedding_dimensions between 1 and 16000),
  distance_metric text not null check (distance_metric in ('cosine', 'l2', 'inner_product'))
);

insert into deployment_settings (embedding_dimensions, distance_metric)
values (:EMBEDDING_DIMENSIONS, ':DISTANCE_METRIC');
