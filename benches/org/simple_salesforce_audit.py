#!/usr/bin/env python3
"""The comparison for the org benchmark: what a user would write instead of
`scopeaudit org salesforce`, on simple-salesforce (pinned in requirements.txt).

It does the same job: reads ConnectedApplication, AppMenuItem, the External Client App
objects, SetupEntityAccess, Profile, PermissionSet, PermissionSetAssignment, User and every
OauthToken row, reads Connected App scopes and policies with readMetadata (sf.mdapi, 10 names
per call), joins tokens to apps (menu item first, label second), counts per app (tokens,
users, stale, inactive-user and privileged-user tokens, pre-authorized users) and prints a
JSON summary on stdout.

Written the way a competent script would be: query_all for every object, OauthToken paged by
CreatedDate as sfdx-hardis does (`ORDER BY CreatedDate LIMIT 2500`, the object's cap per
query), with `>=` on the last CreatedDate seen and the rows of that boundary second dropped
from the previous window, so a tie (many tokens created in one second, as a bulk
re-authorization gives) is neither lost nor counted twice. OauthToken.Id is always null, so
there is no key to de-duplicate on: dropping the boundary second and reading it again whole is
the exact way.

Credential: SF_ACCESS_TOKEN + SF_INSTANCE_URL, as scopeaudit takes them. Benchmark only: the
instance must be http://127.0.0.1:PORT (the fake org). simple-salesforce writes https:// into
every URL it builds (base_url, nextRecordsUrl, the Metadata API endpoint), so the script's
requests sessions send https://127.0.0.1:PORT/... as plain http and refuse every other host;
nothing but 127.0.0.1 is ever contacted.

Usage: simple_salesforce_audit.py [--stale-days 90] [--today YYYY-MM-DD] [--hardis-token-fields]
    > summary.json

--hardis-token-fields selects the OauthToken columns sfdx-hardis selects (relationship fields
of User, Profile and AppMenuItem on every row, and DeleteToken) instead of the six the joins
need: the same answer, about twice the time and memory.
"""

import argparse
import datetime as dt
import json
import os
import sys
from collections import defaultdict
from urllib.parse import urlparse

import requests
from requests.adapters import HTTPAdapter
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceMalformedRequest, SalesforceResourceNotFound

TOKEN_FIELDS = "AppName, AppMenuItemId, UserId, CreatedDate, LastUsedDate, UseCount"
# sfdx-hardis, src/commands/hardis/org/diagnose/unsecure-connected-apps.ts, plus the ids the
# joins here need.
HARDIS_TOKEN_FIELDS = (
    "AppName, AppMenuItemId, UserId, AppMenuItem.IsUsingAdminAuthorization, LastUsedDate, CreatedDate, "
    "User.Name, User.Username, User.Profile.Name, UseCount, AppMenuItem.Id, AppMenuItem.Label, "
    "AppMenuItem.Name, AppMenuItem.ApplicationId, Id, DeleteToken"
)
TOKEN_CAP = 2500  # OauthToken: no row after the 2,500th of a query (API 34+)
METADATA_BATCH = 10  # readMetadata: at most 10 full names per call


class PlainHttpLoopback(HTTPAdapter):
    """Sends https://127.0.0.1:PORT/... as http://127.0.0.1:PORT/... (the fake org has no TLS)."""

    def send(self, request, **kwargs):
        request.url = "http://" + request.url[len("https://"):]
        return super().send(request, **kwargs)


class Refuse(HTTPAdapter):
    def send(self, request, **kwargs):
        raise RuntimeError(f"benchmark script refuses to contact {request.url}")


def confine(session, host_port):
    """Only host_port (127.0.0.1:PORT) is reachable through this session."""
    session.mount("https://", Refuse())
    session.mount("http://", Refuse())
    session.mount(f"https://{host_port}/", PlainHttpLoopback())
    session.mount(f"http://{host_port}/", HTTPAdapter())
    return session


def parse_sf_datetime(s):
    # 2025-04-01T08:30:00.000+0000
    return dt.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%f%z") if s else None


def soql_datetime(s):
    """The REST dateTime as a SOQL literal (2025-04-01T08:30:00.000+0000 -> ...00Z)."""
    return parse_sf_datetime(s).astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def query_or_skip(sf, soql, skipped, obj):
    """query_all, recording an object or column the org lacks instead of failing."""
    try:
        return sf.query_all(soql)["records"]
    except SalesforceMalformedRequest as e:
        code = e.content[0].get("errorCode") if isinstance(e.content, list) and e.content else None
        if code in ("INVALID_TYPE", "INVALID_FIELD"):
            skipped.append({"object": obj, "reason": code})
            return []
        raise


def read_tokens(sf, fields):
    """Every OauthToken row, paged by CreatedDate past the 2,500-row cap."""
    expected = sf.query("SELECT COUNT() FROM OauthToken")["totalSize"]
    rows = []
    where = ""
    while True:
        batch = sf.query_all(
            f"SELECT {fields} FROM OauthToken{where} ORDER BY CreatedDate ASC LIMIT {TOKEN_CAP}"
        )["records"]
        if len(batch) < TOKEN_CAP:
            rows.extend(batch)
            break
        last = batch[-1]["CreatedDate"]
        keep = [r for r in batch if r["CreatedDate"] != last]
        if not keep:
            sys.exit(f"more than {TOKEN_CAP} tokens created at {last}: CreatedDate paging cannot pass them")
        rows.extend(keep)
        # The boundary second is read again whole by the next query.
        where = f" WHERE CreatedDate >= {soql_datetime(last)}"
    if len(rows) != expected:
        sys.exit(f"read {len(rows)} tokens but COUNT() says {expected}")
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--stale-days", type=int, default=90)
    ap.add_argument("--today", help="YYYY-MM-DD (default: today, UTC)")
    ap.add_argument("--hardis-token-fields", action="store_true", help="select OauthToken as sfdx-hardis does")
    args = ap.parse_args()
    token = os.environ.get("SF_ACCESS_TOKEN")
    instance = os.environ.get("SF_INSTANCE_URL")
    if not token or not instance:
        sys.exit("set SF_ACCESS_TOKEN and SF_INSTANCE_URL")
    u = urlparse(instance)
    if u.scheme != "http" or u.hostname != "127.0.0.1" or not u.port:
        sys.exit("benchmark script: SF_INSTANCE_URL must be http://127.0.0.1:PORT")
    host_port = f"127.0.0.1:{u.port}"
    today = (
        dt.datetime.strptime(args.today, "%Y-%m-%d").replace(tzinfo=dt.timezone.utc)
        if args.today
        else dt.datetime.now(dt.timezone.utc)
    )
    stale_before = today - dt.timedelta(days=args.stale_days)

    session = confine(requests.Session(), host_port)
    # The newest API version (GET /services/data/ needs no auth and is not counted).
    versions = session.get(f"http://{host_port}/services/data/", timeout=60).json()
    version = max(versions, key=lambda v: float(v["version"]))["version"]
    sf = Salesforce(instance_url=f"https://{host_port}", session_id=token, version=version, session=session)

    skipped = []
    connected = sf.query_all(
        "SELECT Id, Name, OptionsAllowAdminApprovedUsersOnly, OptionsRefreshTokenValidityMetric, "
        "RefreshTokenValidityPeriod, OptionsHasSessionLevelPolicy, StartUrl, CreatedDate, LastModifiedDate "
        "FROM ConnectedApplication"
    )["records"]
    menu_items = sf.query_all(
        "SELECT Id, ApplicationId, Name, Label, NamespacePrefix, IsUsingAdminAuthorization, Type "
        "FROM AppMenuItem WHERE Type = 'ConnectedApplication'"
    )["records"]
    ecas = query_or_skip(
        sf,
        "SELECT Id, DeveloperName, MasterLabel, NamespacePrefix, DistributionState FROM ExternalClientApplication",
        skipped,
        "ExternalClientApplication",
    )
    eca_settings, eca_policies = [], []
    if ecas:
        try:
            cols = [
                f["name"]
                for f in sf.ExtlClntAppOauthSettings.describe()["fields"]
                if f["name"].startswith("OauthScopes")
            ]
        except SalesforceResourceNotFound:
            cols = []
            skipped.append({"object": "ExtlClntAppOauthSettings", "reason": "NOT_FOUND"})
        if cols:
            eca_settings = query_or_skip(
                sf,
                f"SELECT ExternalClientApplicationId, {', '.join(cols)} FROM ExtlClntAppOauthSettings",
                skipped,
                "ExtlClntAppOauthSettings",
            )
        eca_policies = query_or_skip(
            sf,
            "SELECT ExternalClientApplicationId, PermittedUsersPolicyType, IpRelaxationPolicyType, "
            "RefreshTokenPolicyType, RefreshTokenValidityPeriod, RefreshTokenValidityUnit, "
            "IsClientCredentialsFlowEnabled, ClientCredentialsFlowUser FROM ExtlClntAppOauthPlcyCnfg",
            skipped,
            "ExtlClntAppOauthPlcyCnfg",
        )
    seas = sf.query_all(
        "SELECT SetupEntityId, SetupEntityType, ParentId, Parent.Name, Parent.IsOwnedByProfile, "
        "Parent.Profile.Name FROM SetupEntityAccess "
        "WHERE SetupEntityType IN ('ConnectedApplication','ExternalClientApplication')"
    )["records"]
    profiles = sf.query_all(
        "SELECT Id, Name, PermissionsModifyAllData, PermissionsViewAllData FROM Profile"
    )["records"]
    permsets = sf.query_all(
        "SELECT Id, Name, IsOwnedByProfile, ProfileId, PermissionsModifyAllData, PermissionsViewAllData "
        "FROM PermissionSet"
    )["records"]
    assignments = sf.query_all("SELECT AssigneeId, PermissionSetId FROM PermissionSetAssignment")["records"]
    users = sf.query_all("SELECT Id, IsActive, ProfileId FROM User")["records"]
    tokens = read_tokens(sf, HARDIS_TOKEN_FIELDS if args.hardis_token_fields else TOKEN_FIELDS)

    # Connected App scopes and policies: readMetadata, 10 names per call.
    metadata = {}
    names = [c["Name"] for c in connected]
    for i in range(0, len(names), METADATA_BATCH):
        if i == 0:
            confine(sf.mdapi._client.transport.session, host_port)  # zeep's own session
        result = sf.mdapi.ConnectedApp.read(names[i : i + METADATA_BATCH])
        for rec in result if isinstance(result, list) else [result]:
            if rec is not None and rec.fullName:
                metadata[rec.fullName] = rec

    # Users: active, privileged (Modify All Data / View All Data by profile or permission set).
    profile_priv = {p["Id"]: p["PermissionsModifyAllData"] or p["PermissionsViewAllData"] for p in profiles}
    ps_priv = {p["Id"]: p["PermissionsModifyAllData"] or p["PermissionsViewAllData"] for p in permsets}
    active = {u["Id"]: u["IsActive"] for u in users}
    privileged = {u["Id"] for u in users if profile_priv.get(u["ProfileId"])}
    members = defaultdict(set)
    for a in assignments:
        members[a["PermissionSetId"]].add(a["AssigneeId"])
        if ps_priv.get(a["PermissionSetId"]):
            privileged.add(a["AssigneeId"])
    profile_users = defaultdict(set)
    for u in users:
        profile_users[u["ProfileId"]].add(u["Id"])

    # Apps: connected apps (with their menu items) and External Client Apps.
    apps = {}
    menu_by_app = {m["ApplicationId"]: m for m in menu_items}
    for c in connected:
        md = metadata.get(c["Name"])
        m = menu_by_app.get(c["Id"])
        oauth = md.oauthConfig if md is not None else None
        policy = md.oauthPolicy if md is not None else None
        apps[c["Id"]] = {
            "kind": "connected_app",
            "id": c["Id"],
            "api_name": c["Name"],
            "label": m["Label"] if m else c["Name"],
            "scopes": list(oauth.scopes) if oauth is not None else None,
            "admin_approved": c["OptionsAllowAdminApprovedUsersOnly"],
            "ip_relaxation": policy.ipRelaxation if policy is not None else None,
            "refresh_token_policy": policy.refreshTokenPolicy if policy is not None else None,
        }
    scopes_by_eca = {
        s["ExternalClientApplicationId"]: sorted(k for k, v in s.items() if k.startswith("OauthScopes") and v)
        for s in eca_settings
    }
    policy_by_eca = {p["ExternalClientApplicationId"]: p for p in eca_policies}
    for e in ecas:
        p = policy_by_eca.get(e["Id"], {})
        apps[e["Id"]] = {
            "kind": "external_client_app",
            "id": e["Id"],
            "api_name": e["DeveloperName"],
            "label": e["MasterLabel"],
            "scopes": scopes_by_eca.get(e["Id"]),
            "admin_approved": p.get("PermittedUsersPolicyType") == "AdminApprovedPreAuthorized",
            "ip_relaxation": p.get("IpRelaxationPolicyType"),
            "refresh_token_policy": p.get("RefreshTokenPolicyType"),
        }
    for a in apps.values():
        a.update(
            tokens=0,
            users=set(),
            last_used=None,
            use_count=0,
            stale_tokens=0,
            inactive_user_tokens=0,
            privileged_user_tokens=0,
            preauthorized={"profiles": [], "permission_sets": [], "users": set()},
        )

    # Pre-authorization: SetupEntityAccess rows, users covered by the profile or permission set.
    for s in seas:
        app = apps.get(s["SetupEntityId"])
        if app is None:
            continue
        parent = s["Parent"] or {}
        pre = app["preauthorized"]
        if parent.get("IsOwnedByProfile"):
            pre["profiles"].append((parent.get("Profile") or {}).get("Name"))
            owner = next((p["ProfileId"] for p in permsets if p["Id"] == s["ParentId"]), None)
            pre["users"] |= profile_users.get(owner, set())
        else:
            pre["permission_sets"].append(parent.get("Name"))
        pre["users"] |= members.get(s["ParentId"], set())

    # Tokens: menu item first, current label second, else an uninstalled app.
    app_by_menu = {m["Id"]: apps.get(m["ApplicationId"]) for m in menu_items}
    app_by_label = {a["label"]: a for a in apps.values()}
    uninstalled = {}
    for t in tokens:
        app = app_by_menu.get(t["AppMenuItemId"]) if t["AppMenuItemId"] else None
        if app is None:
            app = app_by_label.get(t["AppName"])
        if app is None:
            app = uninstalled.setdefault(
                t["AppName"], {"name": t["AppName"], "tokens": 0, "users": set(), "last_used": None, "use_count": 0}
            )
        last = parse_sf_datetime(t["LastUsedDate"])
        app["tokens"] += 1
        app["users"].add(t["UserId"])
        app["use_count"] += t["UseCount"] or 0
        if last and (app["last_used"] is None or last > app["last_used"]):
            app["last_used"] = last
        if "stale_tokens" in app:
            if (last or parse_sf_datetime(t["CreatedDate"])) < stale_before:
                app["stale_tokens"] += 1
            if not active.get(t["UserId"], False):
                app["inactive_user_tokens"] += 1
            if t["UserId"] in privileged:
                app["privileged_user_tokens"] += 1

    def finish(a):
        a["users"] = len(a["users"])
        a["last_used"] = a["last_used"].strftime("%Y-%m-%dT%H:%M:%SZ") if a["last_used"] else None
        if "preauthorized" in a:
            pre = a["preauthorized"]
            covered = pre.pop("users")
            pre["users_all"] = len(covered)
            pre["users_active"] = sum(1 for u in covered if active.get(u))
        return a

    summary = {
        "api_version": version,
        "apps": [finish(a) for a in sorted(apps.values(), key=lambda a: a["label"])],
        "uninstalled_apps": [finish(a) for a in sorted(uninstalled.values(), key=lambda a: a["name"])],
        "tokens_total": len(tokens),
        "users_total": len(users),
        "stale_tokens": sum(a["stale_tokens"] for a in apps.values()),
        "privileged_user_tokens": sum(a["privileged_user_tokens"] for a in apps.values()),
        "skipped": skipped,
        "api_usage": {k: {"used": v.used, "max": v.total} for k, v in sf.api_usage.items()},
    }
    json.dump(summary, sys.stdout, indent=1)
    sys.stdout.write("\n")
    print(
        f"simple-salesforce: {len(apps)} apps, {len(tokens)} tokens, {len(users)} users, "
        f"{len(metadata)} connected apps read by readMetadata",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
