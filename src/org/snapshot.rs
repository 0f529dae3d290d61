//! What one pull of an org read, as plain rows: the org reader fills it, `--save-snapshot`
//! writes it (JSON), `scopeaudit audit SNAPSHOT` reads it back, and `inputs::org` turns it into
//! apps with their usage. No token values, `DeleteToken`, `RequestToken` or secrets are ever
//! held here: the reader does not select them and drops any that metadata returns.
//!
//! Field names follow the Salesforce objects they come from (reference/salesforce.md section 3)
//! in snake case, so a reader of the snapshot can check it against the org.

use crate::model::org::{ApiUsage, AuditCredential, Skipped, Stamp};
use serde::{Deserialize, Serialize};

/// The `kind` every snapshot states (SPEC section 2), so detection never guesses.
pub const SNAPSHOT_KIND: &str = "scopeaudit-org-snapshot";
pub const SNAPSHOT_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrgSnapshot {
    /// Always [`SNAPSHOT_KIND`].
    pub kind: String,
    /// Always [`SNAPSHOT_VERSION`].
    pub version: u32,
    pub instance_url: String,
    pub org_id: String,
    pub api_version: String,
    /// When the pull started: ages count from here, so a re-audit gives the same answer.
    pub taken_at: Stamp,
    /// False when the pull was cut short; `errors` say what stopped it.
    pub complete: bool,
    pub errors: Vec<String>,
    /// Objects and columns the org did not serve, and why.
    pub skipped: Vec<Skipped>,
    pub api_calls: u64,
    pub api_usage: Option<ApiUsage>,
    pub credential: Option<AuditCredential>,
    /// For the user, about the pull's set-up (the username-password flow's deprecation, ...).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// `SELECT COUNT() FROM OauthToken`, when it was read.
    pub tokens_counted: Option<u64>,
    pub connected_apps: Vec<ConnectedApplicationRow>,
    pub menu_items: Vec<MenuItemRow>,
    pub external_client_apps: Vec<ExternalClientAppRow>,
    pub setup_entity_access: Vec<SetupEntityAccessRow>,
    pub profiles: Vec<ProfileRow>,
    pub permission_sets: Vec<PermissionSetRow>,
    pub assignments: Vec<AssignmentRow>,
    pub users: Vec<UserRow>,
    pub tokens: Vec<TokenRow>,
}

/// `ConnectedApplication`, plus its `ConnectedApp` metadata.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConnectedApplicationRow {
    pub id: String,
    /// `Name`: the label shown in Setup (and on tokens as `AppName`).
    pub name: String,
    /// `OptionsAllowAdminApprovedUsersOnly`.
    pub admin_approved_only: Option<bool>,
    /// `OptionsRefreshTokenValidityMetric`: true when validity counts inactivity.
    pub refresh_by_inactivity: Option<bool>,
    /// `RefreshTokenValidityPeriod` (its unit is not exposed).
    pub refresh_validity_period: Option<i64>,
    /// `OptionsHasSessionLevelPolicy`.
    pub session_level_policy: Option<bool>,
    pub created_date: Option<Stamp>,
    pub metadata: ConnectedAppMetadata,
}

/// The app's `ConnectedApp` metadata from `readMetadata`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "status")]
pub enum ConnectedAppMetadata {
    /// The record, rewritten as a `ConnectedApp` document (root `<ConnectedApp>`, secrets
    /// removed), so the `*.connectedApp-meta.xml` reader reads it.
    Read { full_name: String, xml: String },
    /// Not read: why, in words for the report.
    Unread { reason: String },
}

/// `AppMenuItem` (App Launcher items).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MenuItemRow {
    pub id: String,
    /// `ApplicationId`: the ConnectedApplication (or External Client App) Id.
    pub application_id: Option<String>,
    pub name: Option<String>,
    pub label: Option<String>,
    pub namespace_prefix: Option<String>,
    /// `Type`: `ConnectedApplication`, `Network`, `ServiceProvider`, `TabSet`.
    pub item_type: Option<String>,
    pub is_using_admin_authorization: Option<bool>,
}

/// `ExternalClientApplication` with its OAuth settings and policy rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExternalClientAppRow {
    pub id: String,
    pub developer_name: String,
    pub master_label: String,
    pub namespace_prefix: Option<String>,
    pub distribution_state: Option<String>,
    /// `ExtlClntAppOauthSettings`: None when the row or object could not be read.
    pub oauth_settings: Option<EcaOauthSettingsRow>,
    /// `ExtlClntAppOauthPlcyCnfg`: None when the row or object could not be read.
    pub oauth_policy: Option<EcaOauthPolicyRow>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EcaOauthSettingsRow {
    /// The `OauthScopes*` columns that are true, as named (`OauthScopesAPI`, ...).
    pub scope_columns: Vec<String>,
    /// The `OauthScopes*` columns the org has (describe), so a missing one is not "false".
    pub columns_read: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EcaOauthPolicyRow {
    pub permitted_users_policy_type: Option<String>,
    pub ip_relaxation_policy_type: Option<String>,
    pub refresh_token_policy_type: Option<String>,
    pub refresh_token_validity_period: Option<i64>,
    pub refresh_token_validity_unit: Option<String>,
    pub is_client_credentials_flow_enabled: Option<bool>,
    /// `ClientCredentialsFlowUser`: a username (not a secret).
    pub client_credentials_flow_user: Option<String>,
}

/// `SetupEntityAccess` rows for apps (`SetupEntityType` ConnectedApplication or
/// ExternalClientApplication).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetupEntityAccessRow {
    pub setup_entity_id: String,
    pub setup_entity_type: String,
    /// `ParentId`: a PermissionSet (profiles are permission sets owned by a profile).
    pub parent_id: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileRow {
    pub id: String,
    pub name: String,
    pub modify_all_data: bool,
    pub view_all_data: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PermissionSetRow {
    pub id: String,
    pub name: String,
    pub label: Option<String>,
    pub is_owned_by_profile: bool,
    pub profile_id: Option<String>,
    pub modify_all_data: bool,
    pub view_all_data: bool,
}

/// `PermissionSetAssignment`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssignmentRow {
    pub assignee_id: String,
    pub permission_set_id: String,
}

/// `User`: only what the audit needs (no names or e-mail addresses).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserRow {
    pub id: String,
    pub is_active: bool,
    pub profile_id: Option<String>,
}

/// `OauthToken`, without `AccessToken`, `DeleteToken` or `RequestToken`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenRow {
    /// `AppName`: the app's label when the token was issued (it survives renames).
    pub app_name: String,
    pub app_menu_item_id: Option<String>,
    pub user_id: Option<String>,
    pub created_date: Option<Stamp>,
    pub last_used_date: Option<Stamp>,
    pub use_count: u64,
}

impl OrgSnapshot {
    /// An empty pull of `instance_url`, started at `taken_at`.
    pub fn new(instance_url: String, taken_at: Stamp) -> OrgSnapshot {
        OrgSnapshot {
            kind: SNAPSHOT_KIND.to_string(),
            version: SNAPSHOT_VERSION,
            instance_url,
            org_id: String::new(),
            api_version: String::new(),
            taken_at,
            complete: true,
            errors: Vec::new(),
            skipped: Vec::new(),
            api_calls: 0,
            api_usage: None,
            credential: None,
            warnings: Vec::new(),
            tokens_counted: None,
            connected_apps: Vec::new(),
            menu_items: Vec::new(),
            external_client_apps: Vec::new(),
            setup_entity_access: Vec::new(),
            profiles: Vec::new(),
            permission_sets: Vec::new(),
            assignments: Vec::new(),
            users: Vec::new(),
            tokens: Vec::new(),
        }
    }
}
