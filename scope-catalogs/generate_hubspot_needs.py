#!/usr/bin/env python3
"""Writes HubSpot's needs table (scope-catalogs/hubspot-needs.yaml) from HubSpot's OpenAPI specs.

Usage:
  python3 scope-catalogs/generate_hubspot_needs.py SPEC_DIR COMMIT DATE > scope-catalogs/hubspot-needs.yaml
  python3 scope-catalogs/generate_hubspot_needs.py --check [NEEDS_YAML [CATALOG_YAML]]

SPEC_DIR is a checkout of https://github.com/HubSpot/HubSpot-public-api-spec-collection (the
directory holding PublicApiSpecs/, or PublicApiSpecs/ itself); COMMIT and DATE (YYYY-MM-DD) name
the snapshot and go into the table's `source`. DATE also decides which versions were released
(see choose_version). Python 3 standard library only; the output depends on nothing but the
inputs (sorted everywhere), so a rerun on the same snapshot reproduces the committed file.

Rules (scope-catalogs/DERIVATION.md, "HubSpot needs table", explains each):
  - Layout: PublicApiSpecs/<Area>/<API>/Rollouts/<id>/<version>/<file>.json; Postman
    collections (no `openapi` key) and the test APIs in EXCLUDED_APIS are skipped.
  - Version: per <Area>/<API>, the newest released version: a date version YYYY-MM whose month
    is not after DATE's month beats any vN; a YYYY-MM-beta is used only when the API has no
    released version (then the earliest beta). An operation (method + version-free path) found
    in several chosen documents is taken from the newest version.
  - Scheme: a security requirement counts when every scheme it names is declared with
    `type: oauth2` (HubSpot names them oauth2, oauth2_legacy, oauth2_1); private-app and
    developer-API-key requirements (type apiKey) are ignored.
  - Need: an operation's alternatives (OR of AND-ed scopes) become "any of" groups (CNF); an
    access needs every operation mapped to it, so its groups are AND-ed; a group that is a
    superset of another is dropped.
  - Generic {objectType} endpoints: their alternatives are the union over every object; for a
    given object only the alternatives whose scopes all belong to that object's family are kept
    (crm.objects.<family>.*, crm.schemas.<family>.*, plus FAMILY_EXTRA), without the sensitive
    ones (those feed sensitive_properties:<object>), and only read-direction scopes for read,
    write-direction ones for create/update/delete.
"""
import json
import pathlib
import re
import sys

PLATFORM_URL = "https://github.com/HubSpot/HubSpot-public-api-spec-collection"
SENS_URL = "https://developers.hubspot.com/docs/api-reference/latest/crm/properties/sensitive-data"
HERE = pathlib.Path(__file__).resolve().parent
GENERATOR = "scope-catalogs/generate_hubspot_needs.py"

# Test fixtures HubSpot leaves in the collection, not APIs an app calls.
EXCLUDED_APIS = {("Account", "Test Child Api"), ("CRM", "Bucket_Test111"), ("Test", "At Debug"),
                 ("Test", "At Tests")}
# Scope strings that are test fixtures, not scopes (an alternative naming one is dropped).
EXCLUDED_SCOPE = re.compile(r"^ACCEPTANCE_TEST\.")

# CRM objects and engagements: target, kind, aliases, path segments after /crm/objects/<ver>/,
# scope family (the <family> of crm.objects.<family>.* used by the generic-endpoint rule; None
# when the object has no scopes of its own). Names and aliases follow the old hand-written table.
OBJECTS = [
    ("appointments", "object", ["appointment"], [], "appointments"),
    ("calls", "engagement", ["call"], ["calls"], None),
    ("carts", "object", ["cart"], ["carts"], "carts"),
    ("commerce_payments", "object", ["commercepayments", "commerce_payment"], ["commerce_payments"],
     "commercepayments"),
    ("communications", "engagement", ["communication"], ["communications"], None),
    ("companies", "object", ["company", "0-2"], ["companies"], "companies"),
    ("contacts", "object", ["contact", "0-1"], ["contacts"], "contacts"),
    ("contracts", "object", ["contract"], ["contracts"], "contracts"),
    ("courses", "object", ["course", "0-410"], ["courses", "0-410"], "courses"),
    ("deals", "object", ["deal", "0-3"], ["deals", "0-3"], "deals"),
    ("discounts", "object", ["discount"], ["discounts"], None),
    ("emails", "engagement", ["email"], ["emails"], None),
    ("feedback_submissions", "object", ["feedback_submission"], ["feedback_submissions"],
     "feedback_submissions"),
    ("fees", "object", ["fee"], ["fees"], None),
    ("goals", "object", ["goal", "goal_targets", "goal_target"], ["goal_targets"], "goals"),
    ("invoices", "object", ["invoice"], ["invoices"], "invoices"),
    ("leads", "object", ["lead"], ["leads"], "leads"),
    ("line_items", "object", ["line_item"], ["line_items"], "line_items"),
    ("listings", "object", ["listing", "0-420"], ["listings", "0-420"], "listings"),
    ("meetings", "engagement", ["meeting"], ["meetings"], None),
    ("notes", "engagement", ["note"], ["notes"], None),
    ("orders", "object", ["order"], ["orders"], "orders"),
    ("partner_clients", "object", ["partner-clients", "partner_client"], ["partner_clients"],
     "partner-clients"),
    ("partner_services", "object", ["partner-services", "partner_service"], ["partner_services"],
     "partner-services"),
    ("payments", "object", ["payment"], ["payments"], None),
    ("postal_mail", "engagement", [], ["postal_mail"], None),
    ("products", "object", ["product"], ["products"], "products"),
    ("projects", "object", ["project"], ["projects"], "projects"),
    ("quotes", "object", ["quote"], ["quotes"], "quotes"),
    ("services", "object", ["service", "0-162"], ["services", "0-162"], "services"),
    ("subscriptions", "object", ["subscription"], ["subscriptions"], "subscriptions"),
    ("tasks", "engagement", ["task"], ["tasks"], None),
    ("taxes", "object", ["tax"], ["taxes"], None),
    ("tickets", "object", ["ticket", "0-5"], ["tickets"], "tickets"),
    ("users", "object", ["user"], ["users"], "users"),
]
# The custom-object target: served by the generic {objectType} endpoints (custom objects API).
CUSTOM = ("custom", "object", ["custom_objects", "custom_object"], "custom")
CUSTOM_SHAPES = [("^p[0-9]*_[A-Za-z0-9_]+$", "p_pets"), ("^2-[0-9]+$", "2-3465404")]
FAMILY = {name: fam for name, _k, _a, _s, fam in OBJECTS}
# More alternatives than this on one operation means the every-object union.
UNION_SIZE = 12
# Coarse scopes the generic union lists that belong to one object family.
FAMILY_EXTRA = {"tickets": ["tickets", "tickets.sensitive.v2", "tickets.highly_sensitive.v2"], "line_items": ["e-commerce"], "products": ["e-commerce"],
                "quotes": ["e-commerce"]}

# Feature targets outside /crm/objects: (regex on the version-free path, target, kind, aliases).
# First match wins. Paths not matched here are counted as unmapped (stderr).
FEATURES = [
    (r"^/crm-object-schemas/", "schemas", "feature", ["schema", "custom_object_schemas"]),
    (r"^/crm/imports(/|$)", "imports", "feature", ["import"]),
    (r"^/crm/exports(/|$)", "exports", "feature", ["export"]),
    (r"^/crm/lists(/|$)", "lists", "feature", ["list", "segments", "segment"]),
    (r"^/crm/owners(/|$)", "owners", "object", ["owner"]),
    (r"^/files/", "files", "feature", ["file"]),
    (r"^/cms/hubdb/tables/[^/]+/(rows|export|draft/(export|import|reset))(/|$)", "hubdb_rows",
     "feature", ["hubdb_row"]),
    (r"^/cms/hubdb/", "hubdb_tables", "feature", ["hubdb", "hubdb_table"]),
    (r"^/marketing/marketing-events/.*associations", "associations:marketing_events", "feature", []),
    (r"^/marketing/marketing-events(/|$)", "marketing_events", "object", ["marketing_event"]),
    (r"^/marketing/forms(/|$)", "forms", "feature", ["form"]),
    (r"^/marketing/emails/[^/]+/(publish|unpublish)$", "marketing_email_publishing", "feature",
     []),
    (r"^/marketing/emails(/|$)", "marketing_emails", "feature", ["marketing_email"]),
    (r"^/marketing/campaigns(/|$)", "campaigns", "feature", ["campaign"]),
    (r"^/marketing/transactional/", "transactional_email", "feature", ["transactional_emails"]),
    (r"^/automation/flows(/|$)", "workflows", "feature", ["workflow", "automation", "flows"]),
    (r"^/automation/sequences(/|$)", "sequences", "feature", ["sequence"]),
    (r"^/conversations/conversations/", "conversations", "feature", ["conversation", "threads"]),
    (r"^/conversations/custom-channels(/|$)", "custom_channels", "feature", ["custom_channel"]),
    (r"^/cms/pages/landing-pages(/|$)", "landing_pages", "feature", ["landing_page"]),
    (r"^/cms/pages/site-pages(/|$)", "site_pages", "feature",
     ["site_page", "website_pages", "website_page"]),
    (r"^/cms/blogs/posts(/|$)", "blog_posts", "feature", ["blog_post"]),
    (r"^/cms/blogs/authors(/|$)", "blog_authors", "feature", ["blog_author"]),
    (r"^/cms/blogs/tags(/|$)", "blog_tags", "feature", ["blog_tag"]),
    (r"^/cms/(url-redirects|url-mappings)(/|$)|^/url-mappings/", "url_redirects", "feature",
     ["url_redirect"]),
    (r"^/cms/domains(/|$)", "domains", "feature", ["domain"]),
    (r"^/cms/source-code(/|$)", "source_code", "feature", []),
    (r"^/communication-preferences/", "subscription_preferences", "feature",
     ["communication_preferences", "subscriptions_status"]),
    (r"^/events/send(/|$)", "behavioral_events", "feature", ["behavioral_event", "custom_events"]),
    (r"^/events/event-definitions(/|$)", "event_definitions", "feature", ["event_definition"]),
    (r"^/events/event-occurrences(/|$)", "event_occurrences", "feature", ["events"]),
    (r"^/integrators/timeline/", "timeline_events", "feature", ["timeline_event", "timeline"]),
    (r"^/settings/teams(/|$)", "teams", "feature", ["team"]),
    (r"^/settings/users/teams$", "teams", "feature", ["team"]),
    (r"^/settings/users(/|$)", "user_provisioning", "feature", ["settings_users"]),
    (r"^/settings/currencies/", "currencies", "feature", ["currency", "multicurrency"]),
    (r"^/tax-rates/", "tax_rates", "feature", ["tax_rate"]),
    (r"^/account-info/details$", "account", "feature", ["account_info", "account-info"]),
    (r"^/account-info/activity/", "audit_logs", "feature", ["audit_log", "account_activity"]),
    (r"^/business-units/", "business_units", "feature", ["business_unit"]),
    (r"^/deal-splits/", "deal_splits", "feature", ["deal_split"]),
    (r"^/scheduler/meetings/meeting-links", "meeting_links", "feature",
     ["scheduler", "meetings_scheduler"]),
    (r"^/webhooks-journal/", "webhooks_journal", "feature", []),
    (r"^/media-bridge/events/", "media_bridge_events", "feature", []),
    (r"^/forecast-settings/|^/forecast-submissions/", "forecasts", "feature", ["forecast"]),
    (r"^/automation/email-templates(/|$)", "email_templates", "feature", ["sales_templates"]),
]
# Operations on the generic endpoints: (regex on the version-free path, feature).
GENERIC = [
    (r"^/crm/objects/\{[^}]+\}/\{[^}]+\}/associations/|^/crm/objects/\{fromObjectType\}/",
     "associations"),
    (r"^/crm/associations/(usage|definitions/configurations/all)(/|$)", None),
    (r"^/crm/associations/", "associations"),
    (r"^/crm/objects/\{[^}]+\}(/|$)", "objects"),
    (r"^/crm/properties/\{[^}]+\}(/|$)", "properties"),
    (r"^/crm/pipelines/\{[^}]+\}(/|$)", "pipelines"),
]

# When the same generic operation is in several documents of one version, the label names these.
# The API that owns a generic path comes first, then the association APIs, then any other.
GENERIC_APIS = {"Objects": 2, "Properties": 2, "Pipelines": 2, "Associations": 1,
                "Associations Schema": 1}
# Objects that have pipelines (HubSpot's pipelines guide,
# https://developers.hubspot.com/docs/api/crm/pipelines; the generic endpoint's union lists every
# object's scopes and cannot tell).
PIPELINE_OBJECTS = {"appointments", "courses", "custom", "deals", "leads", "listings", "orders",
                    "projects", "services", "tickets"}
# Targets where the spec itself requires a write scope for a read operation (checked by --check).
READ_NEEDS_WRITE = {"associations:marketing_events"}
READ_ACTIONS = {"search", "read", "batch/read", "idmapping", "query"}
CREATE_ACTIONS = {"create", "batch/create", "clone", "import", "create-variation",
                  "create-language-variation", "email-create", "async", "send", "batch/associate",
                  "associate", "default"}
UPDATE_ACTIONS = {"update", "batch/update", "upsert", "batch/upsert", "merge", "publish",
                  "unpublish", "push-live", "reset", "restore", "restore-to-draft", "cancel",
                  "attach-to-lang-group", "detach-from-lang-group", "update-languages",
                  "set-new-lang-primary", "schedule", "end", "rerun", "replace", "batch/replace",
                  "move-list", "rename", "add", "remove", "add-and-remove", "update-list-filters",
                  "update-list-name", "schedule-conversion", "update/async"}
DELETE_ACTIONS = {"archive", "batch/archive", "gdpr-delete", "purge", "batch/purge", "delete",
                  "labels/archive", "batch/labels/archive"}
METHODS = ("get", "put", "post", "delete", "patch")
VERSION_SEGMENT = re.compile(r"/(v\d+|\d{4}-\d{2}(-beta)?)(?=/|$)")
DATE_V = re.compile(r"^(\d{4})-(\d{2})$")
NUM_V = re.compile(r"^v(\d+)$")
BETA_V = re.compile(r"^(\d{4})-(\d{2})-beta$")
ACCESSES = ("read", "create", "update", "delete")
CAP = 3


def fail(message):
    print(f"generate_hubspot_needs: {message}", file=sys.stderr)
    sys.exit(2)


# ---------------------------------------------------------------- catalog (tiny YAML subset)
def read_catalog(path):
    """Returns ({name (lower) -> id}, {id -> status}) from hubspot.yaml's `scopes:` entries."""
    names, status = {}, {}
    text = path.read_text(encoding="utf-8")
    for m in re.finditer(r"^  - id: (\S+)\n((?:    .*\n|\s*\n)*)", text, re.M):
        sid, body = m.group(1), m.group(2)
        st = re.search(r"^    status: (\S+)", body, re.M)
        status[sid] = st.group(1) if st else "current"
        names[sid.lower()] = sid
        al = re.search(r"^    aliases: \[(.*)\]", body, re.M)
        if al:
            for a in al.group(1).split(","):
                a = a.strip().strip("'\"")
                if a:
                    names[a.lower()] = sid
    if not names:
        fail(f"{path}: no scopes found")
    return names, status


# ---------------------------------------------------------------- spec reading
def version_key(version, cutoff):
    m = DATE_V.match(version)
    if m:
        month = int(m.group(1)) * 100 + int(m.group(2))
        return (2, month) if month <= cutoff else None
    m = NUM_V.match(version)
    if m:
        return (1, int(m.group(1)))
    return None


def choose_version(versions, cutoff):
    released = sorted((version_key(v, cutoff), v) for v in versions if version_key(v, cutoff))
    if released:
        return released[-1][1], released[-1][0]
    betas = sorted(v for v in versions if BETA_V.match(v))
    if betas:
        return betas[0], (0, 0)
    return None, None


def load_operations(spec_dir, cutoff, unknown):
    root = spec_dir / "PublicApiSpecs" if (spec_dir / "PublicApiSpecs").is_dir() else spec_dir
    apis = {}
    for path in sorted(root.rglob("*.json")):
        rel = path.relative_to(root).parts
        if len(rel) != 6 or rel[2] != "Rollouts":
            continue
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as err:
            fail(f"{path}: not JSON ({err})")
        if not isinstance(doc, dict) or "openapi" not in doc:
            continue
        if (rel[0], rel[1]) in EXCLUDED_APIS:
            continue
        apis.setdefault((rel[0], rel[1]), {}).setdefault(rel[4], []).append((path, doc))
    if not apis:
        fail(f"{root}: no OpenAPI documents under <Area>/<API>/Rollouts/<id>/<version>/")
    chosen_versions = {}
    operations = {}  # (METHOD, version-free path) -> record
    for api in sorted(apis):
        version, vkey = choose_version(apis[api], cutoff)
        if version is None:
            continue
        chosen_versions[api] = version
        title = None
        for path, doc in apis[api][version]:
            schemes = (doc.get("components") or {}).get("securitySchemes") or {}
            title = title or (doc.get("info") or {}).get("title") or api[1]
            for template, item in sorted((doc.get("paths") or {}).items()):
                if not isinstance(item, dict):
                    continue
                for method in METHODS:
                    op = item.get(method)
                    if not isinstance(op, dict):
                        continue
                    security = op.get("security", doc.get("security"))
                    alts = oauth_alternatives(security, schemes, unknown)
                    bare = VERSION_SEGMENT.sub("", template, count=1).rstrip("/") or "/"
                    key = (method.upper(), bare)
                    rec = {"method": method.upper(), "path": template, "bare": bare,
                           "alts": alts, "api": f"{title} {version}", "vkey": vkey,
                           "beta": vkey == (0, 0), "rank": (vkey, GENERIC_APIS.get(api[1], 0))}
                    old = operations.get(key)
                    if old is None or rec["rank"] > old["rank"]:
                        operations[key] = rec
    return chosen_versions, operations


def oauth_alternatives(security, schemes, unknown):
    """None: no OAuth alternative; []: an OAuth alternative needs no scope; else frozensets."""
    if not security:
        return None
    alts = []
    for requirement in security:
        if not isinstance(requirement, dict) or not requirement:
            continue
        if any((schemes.get(n) or {}).get("type") != "oauth2" for n in requirement):
            continue
        scopes = set()
        for name in requirement:
            scopes.update(requirement[name] or [])
        if any(EXCLUDED_SCOPE.match(s) for s in scopes):
            continue
        if not scopes:
            return []
        alts.append(frozenset(scopes))
    return sorted(set(alts), key=sorted) if alts else None


# ---------------------------------------------------------------- mapping
def access_of(method, bare):
    segs = [s for s in bare.split("/") if s]
    last = segs[-1] if segs else ""
    last2 = "/".join(segs[-2:])
    last3 = "/".join(segs[-3:])
    m = re.match(r"^(.*)/tasks/\{[^}]+\}/status$", bare)
    if method == "GET" and m:
        return access_of("POST", m.group(1))
    if method == "GET":
        return "read"
    if method in ("PUT", "PATCH"):
        return "update"
    if method == "DELETE":
        return "delete"
    for probe in (last3, last2, last):
        if probe in READ_ACTIONS:
            return "read"
        if probe in DELETE_ACTIONS:
            return "delete"
        if probe in UPDATE_ACTIONS:
            return "update"
        if probe in CREATE_ACTIONS:
            return "create"
    return "create"


def classify(bare):
    """Returns ('object', target) | ('feature', target) | ('generic', feature) | None."""
    if "/{appId}" in bare or bare.startswith("/integrators/timeline/types"):
        return ("unmapped", bare)  # an app developer's own configuration, not account data
    m = re.match(r"^/crm/objects/([^/{}]+)(/.*)?$", bare)
    if m:
        seg, rest = m.group(1), m.group(2) or ""
        for name, _kind, _aliases, segs, _fam in OBJECTS:
            if seg in segs:
                if "/associations/" in rest:
                    return ("feature", f"associations:{name}")
                return ("object", name)
        return ("unmapped", seg)
    for pattern, feature in GENERIC:
        if re.search(pattern, bare):
            return ("generic", feature) if feature else None
    for pattern, target, _kind, _aliases in FEATURES:
        if re.search(pattern, bare):
            return ("feature", target)
    return ("unmapped", bare)


def direction(scope):
    if "read_write" in scope:
        return "both"
    if "write" in scope or scope.endswith("-edit") or scope.endswith(".send"):
        return "write"
    if "read" in scope or scope.endswith("-view"):
        return "read"
    return "both"


def sensitive(scope):
    return "sensitive" in scope


def family_scopes(family):
    prefixes = (f"crm.objects.{family}.", f"crm.schemas.{family}.")
    extra = set(FAMILY_EXTRA.get(family, []))
    return lambda s: s.startswith(prefixes) or s in extra


def restrict(alts, family, access, want_sensitive):
    """The generic-endpoint rule: the alternatives that serve this object for this access."""
    if alts is None or family is None:
        return None
    belongs = family_scopes(family)
    want = "read" if access == "read" else "write"
    out = []
    for alt in alts:
        if not all(belongs(s) for s in alt):
            continue
        if any(sensitive(s) for s in alt) != want_sensitive:
            continue
        if any(direction(s) not in (want, "both") for s in alt):
            continue
        out.append(alt)
    return out or None


# ---------------------------------------------------------------- need algebra
def cnf(alts):
    """OR of AND-ed alternatives -> AND of OR groups (distribution)."""
    groups = [frozenset()]
    for alt in alts:
        groups = [g | {s} for g in groups for s in alt]
        if len(groups) > 10000:
            fail("security requirement too large to convert")
    return set(groups)


def minimise(groups):
    groups = set(groups)
    return {g for g in groups if not any(o < g for o in groups)}


class Orderer:
    def __init__(self, names, status):
        self.names, self.status = names, status

    def canon(self, scope):
        return self.names.get(scope.lower())

    def key(self, target):
        base = re.split(r"[:]", target)[-1]

        def k(scope):
            coarse = self.status.get(scope) == "coarse"
            sens = 2 if "highly_sensitive" in scope else 1 if "sensitive" in scope else 0
            flat = scope.replace("-", "_")
            own = 0 if base in flat or base.replace("_", "") in flat or flat in base else 1
            schema = 0 if scope.startswith("crm.schemas.") else 1
            return (coarse, sens, own, schema, scope)
        return k


def need(ops, target, orderer, unknown):
    groups = set()
    for op in ops:
        canon = []
        for alt in op["alts"]:
            c = set()
            for s in alt:
                cid = orderer.canon(s)
                if cid is None:
                    unknown.add(s)
                    cid = s
                c.add(cid)
            canon.append(frozenset(c))
        groups |= cnf(canon)
    groups = minimise(groups)
    key = orderer.key(target)
    ordered = [sorted(g, key=key) for g in groups]
    ordered.sort(key=lambda g: [key(s) for s in g])
    return ordered


def source_text(ops):
    ops = sorted(ops, key=lambda o: (o["path"], METHODS.index(o["method"].lower())))
    apis = sorted({o["api"] for o in ops})
    shown = ", ".join(f"{o['method']} {o['path']}" for o in ops[:CAP])
    more = f" and {len(ops) - CAP} more" if len(ops) > CAP else ""
    note = ""
    if any(o.get("generic") for o in ops):
        note = "; generic {objectType} endpoint, alternatives of this object only"
    if any(o.get("sensitive") for o in ops):
        note += f"; sensitive scopes per {SENS_URL}"
    return f"{shown}{more} ({'; '.join(apis)}{note})"


# ---------------------------------------------------------------- build
def build(spec_dir, commit, date, catalog):
    m = re.match(r"^(\d{4})-(\d{2})-(\d{2})$", date)
    if not m:
        fail(f"date {date!r} is not YYYY-MM-DD")
    cutoff = int(m.group(1)) * 100 + int(m.group(2))
    names, status = read_catalog(catalog)
    orderer = Orderer(names, status)
    unknown = set()
    versions, operations = load_operations(spec_dir, cutoff, unknown)
    buckets = {}  # (target, access) -> ops
    stats = {"operations": len(operations), "no_oauth": 0, "no_scope": 0, "unmapped": 0,
             "mapped": 0, "generic": 0}
    unmapped = []
    meta = {}
    for name, kind, aliases, _segs, _fam in OBJECTS:
        meta[name] = (kind, aliases, None)
    meta[CUSTOM[0]] = (CUSTOM[1], CUSTOM[2], CUSTOM_SHAPES)
    for _p, target, kind, aliases in FEATURES:
        meta.setdefault(target, (kind, aliases, None))
    generic_ops = []
    for key in sorted(operations):
        op = operations[key]
        if op["alts"] is None:
            stats["no_oauth"] += 1
            continue
        if op["alts"] == []:
            stats["no_scope"] += 1
            continue
        cls = classify(op["bare"])
        if cls is None:
            continue
        if cls[0] == "unmapped":
            stats["unmapped"] += 1
            unmapped.append(f"{op['method']} {op['path']}")
            continue
        access = access_of(op["method"], op["bare"])
        if cls[0] == "generic":
            stats["generic"] += 1
            generic_ops.append((cls[1], access, op))
            continue
        stats["mapped"] += 1
        family = FAMILY.get(cls[1])
        if cls[0] == "object" and family and len(op["alts"]) > UNION_SIZE:
            # A per-object path that carries the every-object union (subscriptions' writes):
            # the generic-endpoint rule applies.
            alts = restrict(op["alts"], family, access, False)
            if not alts:
                continue
            op = dict(op, alts=alts, generic=True)
        buckets.setdefault((cls[1], access), []).append(op)
    # Generic endpoints, per object family.
    families = [(n, f) for n, _k, _a, _s, f in OBJECTS if f] + [(CUSTOM[0], CUSTOM[3])]
    per_object = {n for n, _k, _a, segs, _f in OBJECTS if segs}
    for feature, access, op in generic_ops:
        for name, family in families:
            if feature == "objects" and name in per_object:
                continue  # the per-object endpoints say it directly
            if feature == "pipelines" and name not in PIPELINE_OBJECTS:
                continue
            targets = [(name if feature == "objects" else f"{feature}:{name}", False)]
            if feature == "objects":
                targets.append((f"sensitive_properties:{name}", True))
            for target, want_sensitive in targets:
                alts = restrict(op["alts"], family, access, want_sensitive)
                if alts:
                    rec = dict(op, alts=alts, generic=True, sensitive=want_sensitive)
                    buckets.setdefault((target, access), []).append(rec)
                    if target not in meta:
                        meta[target] = ("feature", [], None)
    # Sensitive data from the object endpoints of every object with its own family.
    for feature, access, op in generic_ops:
        if feature != "objects":
            continue
        for name, family in families:
            if name not in per_object:
                continue
            target = f"sensitive_properties:{name}"
            alts = restrict(op["alts"], family, access, True)
            if alts:
                rec = dict(op, alts=alts, generic=True, sensitive=True)
                buckets.setdefault((target, access), []).append(rec)
                meta.setdefault(target, ("feature", [], None))
    table = {}
    for (target, access), ops in sorted(buckets.items()):
        groups = need(ops, target, orderer, unknown)
        if groups:
            table.setdefault(target, {})[access] = (groups, source_text(ops))
    return {"versions": versions, "stats": stats, "unmapped": sorted(unmapped),
            "unknown": sorted(unknown), "table": table, "meta": meta}


def q(value):
    if re.match(r"^[A-Za-z_][A-Za-z0-9_.\-]*$", value) and value.lower() not in (
            "yes", "no", "true", "false", "null", "on", "off", "y", "n"):
        return value
    return json.dumps(value)


FOLLOWS = (
    "The spec, because a token is checked against what an endpoint accepts. Where HubSpot's "
    "guides name a per-object scope that no released endpoint accepts, the table follows the "
    "endpoints: reading calls, notes, meetings, tasks, communications and postal mail needs "
    "crm.objects.contacts.read (writing them crm.objects.contacts.write), not "
    "crm.objects.<type>.read, which only the generic and beta endpoints' every-object lists "
    "name; tickets need the coarse tickets scope, since no released tickets endpoint accepts "
    "crm.objects.tickets.read or .write. Where the spec's generic {objectType} endpoints cannot "
    "tell objects apart, the table keeps the object's own scopes (DERIVATION.md).")


def render(result, commit, date):
    out = []
    w = out.append
    s = result["stats"]
    w("# HubSpot needs table: what each thing a vendor app's tool touches needs, per access.")
    w("# Generated; do not edit by hand. Format: helpers' needs schema (issue 10); rules and the")
    w("# comparison with the old objects: table in scope-catalogs/DERIVATION.md (\"HubSpot needs table\").")
    w(f"# Reproduce: python3 {GENERATOR} <checkout of the spec collection at the commit below> "
      f"{commit} {date} > scope-catalogs/hubspot-needs.yaml")
    w(f"# Operations read (current versions): {s['operations']}; mapped directly: {s['mapped']}; "
      f"generic {{objectType}} operations: {s['generic']};")
    w(f"# without an OAuth requirement: {s['no_oauth']}; OAuth without a scope: {s['no_scope']}; "
      f"not mapped to a target: {s['unmapped']}.")
    w("platform: hubspot")
    w("source:")
    w("  title: HubSpot public API spec collection")
    w(f"  url: {PLATFORM_URL}")
    w(f"  version: {commit}")
    w(f"  date: \"{date}\"")
    w(f"  generator: {GENERATOR}")
    w("  follows: >-")
    words, line = FOLLOWS.split(), "   "
    for word in words:
        if len(line) + 1 + len(word) > 98:
            w(line)
            line = "   "
        line += " " + word
    w(line)
    w("targets:")
    for target in sorted(result["table"]):
        kind, aliases, shapes = result["meta"][target]
        w(f"  - name: {q(target)}")
        w(f"    kind: {kind}")
        if aliases:
            w(f"    aliases: [{', '.join(q(a) for a in aliases)}]")
        if shapes:
            w("    shapes:")
            for pattern, example in shapes:
                w(f"      - {{pattern: '{pattern}', example: {q(example)}}}")
        for access in ACCESSES:
            entry = result["table"][target].get(access)
            if not entry:
                continue
            groups, source = entry
            w(f"    {access}:")
            w("      all_of:")
            for g in groups:
                w(f"        - [{', '.join(q(x) for x in g)}]")
            w(f"      source: {json.dumps(source)}")
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------- check
def parse_needs(text):
    """Reads the subset of YAML render() writes. Returns (header, targets)."""
    header, targets, cur, acc = {}, [], None, None
    section = None
    for n, raw in enumerate(text.splitlines(), 1):
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        line = raw.rstrip()
        ind = len(line) - len(line.lstrip())
        body = line.strip()
        if ind == 0:
            k, _, v = body.partition(":")
            section = k
            header[k] = v.strip()
            continue
        if section == "source":
            if ind == 2:
                k, _, v = body.partition(":")
                header.setdefault("source_fields", {})[k] = v.strip().strip('"')
            continue
        if section != "targets":
            raise ValueError(f"line {n}: unexpected content in {section}")
        if ind == 2 and body.startswith("- name:"):
            cur = {"name": json_or_plain(body[len("- name:"):].strip()), "line": n, "access": {}}
            targets.append(cur)
            acc = None
        elif ind == 4:
            k, _, v = body.partition(":")
            v = v.strip()
            if k in ACCESSES:
                acc = {"all_of": [], "source": None}
                cur["access"][k] = acc
            elif k == "aliases":
                cur["aliases"] = [json_or_plain(a.strip()) for a in v.strip("[]").split(",")]
            elif k == "kind":
                cur["kind"] = v
            elif k == "shapes":
                cur["shapes"] = []
            else:
                raise ValueError(f"line {n}: unknown key {k}")
        elif ind == 6 and body.startswith("- {pattern:"):
            m = re.match(r"^- \{pattern: '([^']*)', example: (.*)\}$", body)
            if not m:
                raise ValueError(f"line {n}: bad shape")
            cur["shapes"].append((m.group(1), json_or_plain(m.group(2))))
        elif ind == 6 and body.startswith("source:"):
            acc["source"] = json.loads(body[len("source:"):].strip())
        elif ind == 6 and body == "all_of:":
            pass
        elif ind == 8 and body.startswith("- ["):
            acc["all_of"].append([json_or_plain(x.strip()) for x in body[3:-1].split(",")])
        else:
            raise ValueError(f"line {n}: unexpected line: {body}")
    return header, targets


def json_or_plain(v):
    return json.loads(v) if v.startswith('"') else v


def check(needs_path, catalog_path):
    names, status = read_catalog(catalog_path)
    problems = []
    try:
        header, targets = parse_needs(needs_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        print(f"{needs_path}: {err}", file=sys.stderr)
        return 2
    if header.get("platform") != "hubspot":
        problems.append("platform is not hubspot")
    src = header.get("source_fields", {})
    for field in ("title", "url", "version", "date", "generator"):
        if not src.get(field):
            problems.append(f"source.{field} missing")
    if not re.match(r"^\d{4}-\d{2}-\d{2}$", src.get("date", "")):
        problems.append("source.date is not YYYY-MM-DD")
    seen = {}
    for t in targets:
        where = f"line {t['line']} ({t['name']})"
        if t.get("kind") not in ("object", "engagement", "feature", "api"):
            problems.append(f"{where}: kind {t.get('kind')!r}")
        for name in [t["name"]] + t.get("aliases", []):
            if name.lower() in seen:
                problems.append(f"{where}: name {name!r} also used at line {seen[name.lower()]}")
            seen[name.lower()] = t["line"]
        for pattern, example in t.get("shapes", []):
            if not (pattern.startswith("^") and pattern.endswith("$")):
                problems.append(f"{where}: shape {pattern} not anchored")
            elif not re.match(pattern, example):
                problems.append(f"{where}: shape {pattern} does not match {example}")
        if not t["access"]:
            problems.append(f"{where}: no access")
        for access, entry in t["access"].items():
            if not entry["source"]:
                problems.append(f"{where}: {access} has no source")
            if not entry["all_of"]:
                problems.append(f"{where}: {access} has no groups")
            for group in entry["all_of"]:
                if not group:
                    problems.append(f"{where}: {access} has an empty group")
                for s in group:
                    if s.lower() not in names:
                        problems.append(f"{where}: {access}: {s} is not a catalog id or alias")
                coarse_seen = False
                for s in group:
                    is_coarse = status.get(names.get(s.lower(), ""), "") == "coarse"
                    if coarse_seen and not is_coarse:
                        problems.append(f"{where}: {access}: granular {s} after a coarse scope")
                    coarse_seen = coarse_seen or is_coarse
                if access == "read" and t["name"] not in READ_NEEDS_WRITE and all(
                        direction(s) == "write" for s in group):
                    problems.append(f"{where}: read needs only write scopes: {group}")
    for p in problems:
        print(f"{needs_path}: {p}", file=sys.stderr)
    if problems:
        return 1
    print(f"{needs_path}: ok ({len(targets)} targets, "
          f"{sum(len(t['access']) for t in targets)} rows)")
    return 0


def main(argv):
    if len(argv) >= 1 and argv[0] == "--check":
        needs = pathlib.Path(argv[1]) if len(argv) > 1 else HERE / "hubspot-needs.yaml"
        catalog = pathlib.Path(argv[2]) if len(argv) > 2 else HERE / "hubspot.yaml"
        return check(needs, catalog)
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    spec_dir, commit, date = pathlib.Path(argv[0]), argv[1], argv[2]
    if not re.match(r"^[0-9a-f]{7,40}$", commit):
        fail(f"commit {commit!r} is not a git commit id")
    result = build(spec_dir, commit, date, HERE / "hubspot.yaml")
    sys.stdout.write(render(result, commit, date))
    for op in result["unmapped"]:
        print(f"unmapped: {op}", file=sys.stderr)
    for s in result["unknown"]:
        print(f"scope not in catalog: {s}", file=sys.stderr)
    print("versions: " + "; ".join(f"{a}/{b}={v}" for (a, b), v in sorted(
        result["versions"].items())), file=sys.stderr)
    return 1 if result["unknown"] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
