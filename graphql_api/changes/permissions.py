"""Classification of the change feed: open as a type; each event is shown, and its
attributes filtered, under the rules of the record it is about (``visibility.py``), which
the query applies since the attributes travel as JSON rather than as guarded fields."""

from graphql_api.access.field_rules import Classification
from graphql_api.access.grants import open_

CLASSIFICATION = Classification(types={"ChangeEvent": open_(), "ChangeFeed": open_()})
