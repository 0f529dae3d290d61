//! scopeaudit: audits the OAuth scopes vendor apps request from Salesforce and HubSpot.
//!
//! Data flows one way: inputs -> normalized [`model::App`] -> [`engine`] (catalogs, rules,
//! policy) -> [`report::Report`] -> renderers. The engine and renderers do no I/O.

pub mod analysis;
pub mod app;
pub mod catalog;
pub mod cli;
pub mod data;
pub mod diff;
pub mod engine;
pub mod finding;
pub mod inputs;
pub mod json_lines;
pub mod model;
pub mod policy;
pub mod report;
pub mod rule;
pub mod session;
pub mod source_file;
#[cfg(test)]
mod test_rng;
pub mod text;
pub mod untrusted;
pub mod yaml;
