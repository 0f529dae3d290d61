//! The live Salesforce org client (SPEC section 6), layer by layer:
//!
//! | module | owns |
//! |---|---|
//! | `secret` | [`secret::Secret`]: tokens, secrets and keys that never print |
//! | `credentials` | which credential (first match wins), the Salesforce CLI as a token source |
//! | `token` | the token endpoint's grants, typed errors, the granted scope and what it says about the audit set-up |
//! | `http` | URL rules, the bearer token only ever to the instance, retries with back-off |
//! | `pull` | one org read into an `OrgSnapshot`: describes, queries, token paging, faults |
//! | `soap` | the Metadata API's `readMetadata`, its answers rewritten without secrets |
//! | `progress` | the progress line on stderr |
//!
//! Async (tokio) lives here only; nothing outside `org` starts a runtime.

pub mod credentials;
pub mod http;
pub mod progress;
pub mod pull;
pub mod secret;
pub mod snapshot;
pub mod soap;
pub mod token;
