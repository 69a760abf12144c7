"""Found by schemathesis: the OpenAPI document must describe what the API really answers."""

from __future__ import annotations

import collections

from ninja import Schema

from config.api import api


def _all_subclasses(cls: type) -> list[type]:
    return [sub for direct in cls.__subclasses__() for sub in (direct, *_all_subclasses(direct))]


def test_schema_names_are_unique_so_no_component_overwrites_another():
    # The document keys components by class name: two ApplicationOut classes meant one route got the other's schema.
    names = collections.defaultdict(set)
    for cls in _all_subclasses(Schema):
        if cls.__module__.startswith(("kezek.", "config.")):
            names[cls.__name__].add(cls.__module__)
    assert {name: modules for name, modules in names.items() if len(modules) > 1} == {}


def test_each_route_documents_its_own_schema():
    schema = api.get_openapi_schema()
    components = schema["components"]["schemas"]
    assert "campaign_id" in components["VoucherApplicationOut"]["properties"]
    assert "campaign_id" not in components["ApplicationOut"]["properties"]
    assert "group_id" not in components["SessionOut"]["properties"]


def test_every_operation_documents_the_problem_responses():
    schema = api.get_openapi_schema()
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            responses = operation["responses"]
            assert {"400", "403", "404", "409", "422", "429"} <= responses.keys(), (method, path)
            assert ("401" in responses) == bool(operation.get("security")), (method, path)
            problem = responses["422"]["content"]["application/problem+json"]["schema"]
            assert problem == {"$ref": "#/components/schemas/Problem"}
    assert {"type", "title", "status", "code"} <= set(schema["components"]["schemas"]["Problem"]["required"])
