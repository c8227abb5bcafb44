"""Every DataLoader factory by name: ``context.Loaders`` makes each on first use per request."""

from __future__ import annotations

from graphql_api.admin_units import dataloaders as admin_units
from graphql_api.cadre import dataloaders as cadre
from graphql_api.civil_registry import dataloaders as civil_registry
from graphql_api.land import dataloaders as land
from graphql_api.organizations import dataloaders as organizations
from graphql_api.persons import dataloaders as persons

FACTORIES = {
    name: factory
    for module in (admin_units, cadre, civil_registry, land, organizations, persons)
    for name, factory in vars(module).items()
    if callable(factory) and getattr(factory, "__module__", None) == module.__name__
}
