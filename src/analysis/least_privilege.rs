//! Least privilege: what the app's tools and integration need, and from that each scope's
//! verdict, the recommended set, what to add and drop, and what is missing.

use super::{join_reasons, AppResult, MissingScope, Need, NeedReason, ToolNeed};
use crate::catalog::{Catalog, Status};
use crate::model::{App, Flow};
use crate::rule::Verdict;
use std::collections::{BTreeMap, BTreeSet};

/// What the app needs, from its tools and integration.
pub(super) fn needs(app: &App, catalog: &Catalog) -> (Vec<Need>, Vec<ToolNeed>) {
    let lp = &catalog.least_privilege;
    let mut needs: Vec<Need> = Vec::new();
    let mut add = |accepted: &[String], reason: NeedReason, tool: Option<usize>| {
        if accepted.is_empty() {
            return;
        }
        let need = match needs.iter_mut().position(|n| n.accepted == accepted) {
            Some(i) => &mut needs[i],
            None => {
                needs.push(Need {
                    reasons: Vec::new(),
                    accepted: accepted.to_vec(),
                    tools: Vec::new(),
                });
                let last = needs.len() - 1;
                &mut needs[last]
            }
        };
        need.reasons.push(reason);
        need.tools.extend(tool);
    };
    for id in &lp.always {
        add(std::slice::from_ref(id), NeedReason::EveryApp(app.platform), None);
    }
    if app.integration.sign_in {
        add(&lp.sign_in, NeedReason::SignsUsersIn, None);
    } else if app.integration.identifies_users {
        add(&lp.identify, NeedReason::IdentifiesUsers, None);
    }
    if app.integration.flows.contains(&Flow::RefreshToken) {
        add(&lp.offline, NeedReason::WorksOffline, None);
    }
    let mut tool_needs = Vec::new();
    for (i, tool) in app.tools.iter().enumerate() {
        // A tool the table cannot place was refused before analysis (`Session::check_tools`);
        // here it contributes nothing rather than a guess.
        let targets = catalog.needs().resolve(tool, app.platform).unwrap_or_default();
        let mut accepted: Vec<String> = Vec::new();
        for target in targets {
            let Some(need) = target.access(tool.access) else {
                continue;
            };
            for group in &need.all_of {
                add(
                    group,
                    NeedReason::Tool {
                        name: tool.name.clone(),
                        access: tool.access.as_str(),
                        touches: tool.touches(),
                        source: need.source.clone(),
                    },
                    Some(i),
                );
                for id in group {
                    if !accepted.contains(id) {
                        accepted.push(id.clone());
                    }
                }
            }
        }
        tool_needs.push(ToolNeed { tool: i, accepted });
    }
    (needs, tool_needs)
}

/// Least privilege for an app that declares tools: verdicts, the recommended set, what to add
/// and drop, and what is missing.
pub(super) fn recommend(result: &mut AppResult, catalog: &Catalog) {
    let risk_of = |id: &str| catalog.resolve(id).map(|e| e.risk);
    // The narrowest scope for each need, without scopes another of them already grants.
    let preferred: BTreeSet<&str> = result.needs.iter().map(Need::preferred).collect();
    let narrowest: BTreeSet<&str> = preferred
        .iter()
        .copied()
        .filter(|p| !preferred.iter().any(|q| q != p && catalog.covers(q, p)))
        .collect();

    // First request of each known scope, in request order.
    let firsts = super::first_requests(&result.scopes);
    let mut picked: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    let mut unmet: Vec<usize> = Vec::new();
    for (n, need) in result.needs.iter().enumerate() {
        let candidates: Vec<(usize, &str)> = firsts
            .iter()
            .map(|(i, c)| (*i, c.as_str()))
            .filter(|(_, c)| need.accepted.iter().any(|a| catalog.covers(c, a)))
            .collect();
        let choice = candidates
            .iter()
            .find(|(_, c)| narrowest.contains(c))
            .or_else(|| candidates.iter().min_by_key(|(i, c)| (risk_of(c), *i)));
        match choice {
            Some((i, _)) => picked.entry(*i).or_default().push(n),
            None => unmet.push(n),
        }
    }

    let mut needed_ids: BTreeSet<String> = BTreeSet::new();
    let mut add: Vec<String> = Vec::new();
    for (i, needs) in &picked {
        let canonical = result.scopes[*i].canonical.clone().unwrap_or_default();
        let widest_needed = needs.iter().filter_map(|n| risk_of(result.needs[*n].preferred())).max();
        let reasons: Vec<String> = needs
            .iter()
            .flat_map(|n| result.needs[*n].reasons.iter().map(ToString::to_string))
            .collect();
        let serves = join_reasons(&reasons);
        let for_write = needs.iter().any(|n| {
            result.needs[*n]
                .tools
                .iter()
                .any(|t| result.app.tools[*t].access.writes())
        });
        // A coarse or retired scope that serves needs a granular current scope would serve is
        // replaced by those: it works (or did), but grants more than the tools use.
        let status = catalog.resolve(&canonical).map(|e| e.status);
        let granular: Vec<&str> = needs.iter().map(|n| result.needs[*n].preferred()).collect();
        let replaceable = status.is_some_and(|s| s != Status::Current)
            && granular
                .iter()
                .all(|g| *g != canonical && catalog.resolve(g).is_some_and(|e| e.status == Status::Current));
        let scope = &mut result.scopes[*i];
        scope.needed_by = reasons.clone();
        scope.needed_for_write = for_write;
        if replaceable {
            scope.verdict = Verdict::Excess;
            let listed = granular.iter().map(|s| format!("`{s}`")).collect::<Vec<_>>().join(", ");
            scope.reason = match status {
                Some(Status::Coarse) => format!(
                    "a coarse scope: it works, but grants more than needed; the granular {listed} serve {serves}"
                ),
                _ => format!(
                    "a retired scope, so installs asking for it fail or soon will; the current {listed} serve {serves}"
                ),
            };
            for id in granular {
                if !add.iter().any(|a| a == id) {
                    add.push(id.to_string());
                }
            }
        } else if risk_of(&canonical) <= widest_needed {
            scope.verdict = Verdict::Needed;
            scope.reason = format!("needed for {serves}");
            needed_ids.insert(canonical);
        } else {
            let narrower: Vec<&str> = needs.iter().map(|n| result.needs[*n].preferred()).collect();
            scope.verdict = Verdict::Excess;
            let listed: Vec<String> = narrower.iter().map(|s| format!("`{s}`")).collect();
            scope.reason = format!("a narrower scope would do: {} serves {serves}", join_reasons(&listed));
            for id in narrower {
                if !add.iter().any(|a| a == id) {
                    add.push(id.to_string());
                }
            }
        }
    }
    let mut missing: Vec<MissingScope> = Vec::new();
    for n in unmet {
        let need = &result.needs[n];
        let scope = need.preferred().to_string();
        // Needs from tools point at the first tool; needs from sign-in or offline work at the
        // integration that declares them.
        let at = match need.tools.first() {
            Some(&t) => result.app.tools[t].at,
            None => result.app.integration_at,
        };
        match missing.iter_mut().find(|m| m.scope == scope) {
            Some(m) => m.needed_by.extend(need.reasons.iter().map(ToString::to_string)),
            None => missing.push(MissingScope {
                scope: scope.clone(),
                needed_by: need.reasons.iter().map(ToString::to_string).collect(),
                at,
            }),
        }
        if !add.contains(&scope) {
            add.push(scope);
        }
    }

    let firsts_index: BTreeSet<usize> = firsts.iter().map(|(i, _)| *i).collect();
    let picked_ids: Vec<String> = picked
        .keys()
        .filter_map(|i| result.scopes[*i].canonical.clone())
        .collect();
    for (i, scope) in result.scopes.iter_mut().enumerate() {
        let Some(canonical) = scope.canonical.clone() else {
            scope.verdict = Verdict::Unknown;
            scope.reason = "the catalog does not know this scope".to_string();
            continue;
        };
        if firsts_index.contains(&i) && !picked.contains_key(&i) {
            scope.verdict = Verdict::Excess;
            // Name the narrower requested scopes that already serve what this one could.
            let serving: Vec<String> = result
                .needs
                .iter()
                .filter(|n| n.accepted.iter().any(|a| catalog.covers(&canonical, a)))
                .flat_map(|n| {
                    picked_ids
                        .iter()
                        .filter(|p| n.accepted.iter().any(|a| catalog.covers(p, a)))
                })
                .map(|p| format!("`{p}`"))
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect();
            scope.reason = if serving.is_empty() {
                "no declared tool or integration need uses it".to_string()
            } else {
                format!(
                    "narrower scopes it also requests ({}) already cover every declared need it could serve",
                    serving.join(", ")
                )
            };
        }
    }
    // Redundancy only counts grants from scopes the app should keep: `api` is not redundant
    // because of a `full` that the recommendation drops.
    let excess: BTreeSet<String> = result
        .scopes
        .iter()
        .filter(|s| s.verdict == Verdict::Excess)
        .map(|s| result.app.scopes[s.index].name.clone())
        .collect();
    for scope in &mut result.scopes {
        scope.implied_by.retain(|name| !excess.contains(name));
    }
    let mut drop: Vec<String> = Vec::new();
    for scope in &result.scopes {
        if scope.verdict == Verdict::Excess {
            let name = scope.canonical.clone().unwrap_or_default();
            if !drop.contains(&name) && !needed_ids.contains(&name) {
                drop.push(name);
            }
        }
    }
    let mut minimal: Vec<String> = needed_ids.into_iter().collect();
    minimal.extend(add.iter().cloned());
    minimal.sort();
    minimal.dedup();
    // Keep only the narrowest: drop anything another member already grants.
    let all = minimal.clone();
    minimal.retain(|m| !all.iter().any(|o| o != m && catalog.covers(o, m)));
    result.minimal = minimal;
    result.drop = drop;
    result.add = add;
    result.missing = missing;
}
