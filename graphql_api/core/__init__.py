"""What every domain of the API shares: the request's context and database session, batching
and look-ahead for DataLoaders, pagination, request limits, coded errors, and the shared types."""
