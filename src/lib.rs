//! scopeaudit: audits the OAuth scopes vendor apps request from Salesforce and HubSpot.
//!
//! Data flows one way: [`inputs`] -> normalized [`model::App`] -> [`session::Session`]
//! (catalogs, rules, policy, clock; [`analysis`] then [`engine`]) -> [`report::Report`] ->
//! renderers. Analysis, engine and renderers do no I/O.
//!
//! | module | owns |
//! |---|---|
//! | `model` | `App`, `AppIdentity`, `Setting`, `Note`/`NoteCode`, `Date`: what every input becomes |
//! | `inputs` | one file per format, detection, the directory walk, bounded reads |
//! | `catalog`, `data` | scope catalogs and domain facts; loading the embedded and user data |
//! | `org` | the live Salesforce org client: credentials, tokens, secrets, HTTP with retries |
//! | `needs` | what each object, feature or API a tool touches needs, per access, with evidence |
//! | `rule` | rules as data: conditions, one table of predicates and placeholders per subject |
//! | `policy` | `.scopeaudit.yaml`: discovery, validation, waivers |
//! | `analysis` | per-scope verdicts, needs from tools, least privilege |
//! | `engine` | rules evaluated into findings, waivers, scores |
//! | `session` | one evaluation set-up shared by `audit`, `diff` (and the org audit) |
//! | `finding` | findings, severities, locations (a file position or an org record) |
//! | `report` | the one `Report` every output renders: text, JSON, SARIF, Markdown, HTML |
//! | `diff` | what changed between two versions of an app |
//! | `suggest` | "did you mean": the nearest known name to a mistyped one |
//! | `untrusted` | neutralising input text for terminals and reports |
//! | `app`, `cli` | commands, output streams, atomic report files, exit codes |

pub mod analysis;
pub mod app;
pub mod approval;
pub mod catalog;
pub mod cli;
pub mod data;
pub mod diff;
pub mod engine;
pub mod finding;
pub mod init;
pub mod inputs;
pub mod json_lines;
pub mod labels;
pub mod model;
pub mod needs;
pub mod org;
pub mod org_audit;
pub mod parallel;
pub mod policy;
pub mod report;
pub mod rule;
pub mod session;
pub mod source_file;
pub mod suggest;
#[cfg(test)]
mod test_rng;
pub mod text;
pub mod untrusted;
pub mod yaml;
