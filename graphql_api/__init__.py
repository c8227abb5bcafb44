"""The GraphQL API over the published marts, with GraphiQL and the planners' web UI."""
