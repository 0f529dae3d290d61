//! Tests of the fake Salesforce org itself, over real HTTP on 127.0.0.1.

mod fake_org;

use fake_org::{FakeOrg, OrgSpec};

#[tokio::test]
async fn versions_need_no_auth() {
    let org = FakeOrg::start(OrgSpec::default()).unwrap();
    let r = reqwest::get(format!("{}/services/data/", org.base_url()))
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}
