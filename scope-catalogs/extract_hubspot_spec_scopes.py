#!/usr/bin/env python3
"""Lists every OAuth scope string in HubSpot's public OpenAPI specs.

Usage: python3 extract_hubspot_spec_scopes.py SPEC_DIR [COMMIT] > hubspot-spec-scopes.txt

SPEC_DIR is a checkout of https://github.com/HubSpot/HubSpot-public-api-spec-collection
(its PublicApiSpecs/ tree). Every *.json file that is an OpenAPI document is read; Postman
collections are skipped. A scope is collected from two places:
  - declared: components.securitySchemes.*.flows.*.scopes (the scheme's own scope list)
  - required: every `security` requirement, at the top level and on each operation
Each output line is: scope, TAB, where it appears ("declared", "required" or both), TAB, the
security schemes naming it. The catalog (hubspot.yaml) stays hand-checked; this list is the
evidence that tests/catalogs.rs checks it against: every line must be a catalog id or alias.
"""
import collections
import json
import pathlib
import re
import sys

# Test fixtures HubSpot leaves in the specs, not scopes an app can hold.
EXCLUDED = re.compile(r"^ACCEPTANCE_TEST\.")


def main() -> int:
    if len(sys.argv) not in (2, 3):
        print(__doc__, file=sys.stderr)
        return 2
    root = pathlib.Path(sys.argv[1])
    commit = sys.argv[2] if len(sys.argv) == 3 else "unknown"
    where = collections.defaultdict(set)
    schemes = collections.defaultdict(set)
    documents = 0
    for path in sorted(root.rglob("*.json")):
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as err:
            print(f"{path}: not JSON ({err})", file=sys.stderr)
            return 2
        if not isinstance(doc, dict) or "openapi" not in doc:
            continue
        documents += 1
        for name, scheme in (doc.get("components") or {}).get("securitySchemes", {}).items():
            for flow in (scheme.get("flows") or {}).values():
                for scope in flow.get("scopes") or {}:
                    where[scope].add("declared")
                    schemes[scope].add(name)

        def required(security):
            for requirement in security or []:
                for name, scopes in requirement.items():
                    for scope in scopes:
                        where[scope].add("required")
                        schemes[scope].add(name)

        required(doc.get("security"))
        for operations in (doc.get("paths") or {}).values():
            for operation in operations.values():
                if isinstance(operation, dict):
                    required(operation.get("security"))
    kept = sorted(s for s in where if not EXCLUDED.match(s))
    excluded = sorted(s for s in where if EXCLUDED.match(s))
    print("# Every OAuth scope string in HubSpot's public OpenAPI specs.")
    print("# Source: https://github.com/HubSpot/HubSpot-public-api-spec-collection")
    print(f"# Commit: {commit}")
    print(f"# OpenAPI documents read: {documents}; scope strings: {len(kept)}"
          f" (excluded as test fixtures: {', '.join(excluded) or 'none'})")
    print("# Made by scope-catalogs/extract_hubspot_spec_scopes.py; do not edit by hand.")
    for scope in kept:
        print(f"{scope}\t{'+'.join(sorted(where[scope]))}\t{','.join(sorted(schemes[scope]))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
