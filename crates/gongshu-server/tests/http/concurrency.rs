//! Concurrent conflicting requests: exactly one wins, the other gets a clean
//! conflict answer, and exactly one change is recorded.

use serde_json::{Value, json};

use crate::support::{Auth, Resp, Session, TestApp};

crate::on_both_backends!(concurrent_conflicts_have_one_winner);

/// Sends two identical requests at once; returns both answers, winner first.
async fn race<F, Fut>(t: &TestApp, s: &Session, send: F) -> (Resp, Resp)
where
    F: Fn(TestApp, Session) -> Fut,
    Fut: Future<Output = Resp> + Send + 'static,
{
    let a = tokio::spawn(send(t.clone(), s.clone()));
    let b = tokio::spawn(send(t.clone(), s.clone()));
    let (a, b) = (a.await.unwrap(), b.await.unwrap());
    if a.status.is_success() {
        (a, b)
    } else {
        (b, a)
    }
}

fn role_set(users: &Value, user_id: &str) -> Vec<String> {
    let mut roles: Vec<String> = users
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["id"] == user_id)
        .unwrap()["roles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap().to_owned())
        .collect();
    roles.sort();
    roles
}

async fn concurrent_conflicts_have_one_winner(t: TestApp) {
    let s = t.login(&t.admin).await;
    let org = t.create_org(&s, "测试县数据运营有限公司", "operator").await;
    let user = t.create_user(&s, &org, "op.user", &[]).await;
    let users_path = format!("/api/v1/organisations/{org}/users");

    for (round, role) in ["reviewer", "approver", "case_officer"]
        .into_iter()
        .enumerate()
    {
        // Two identical grants at once: one 204, one 409 `duplicate`.
        let path = format!("/api/v1/users/{}/roles", user.user_id);
        let (won, lost) = race(&t, &s, |t, s| {
            let path = path.clone();
            async move {
                t.post(&path, Auth::Bearer(&s), &json!({ "role": role }))
                    .await
            }
        })
        .await;
        won.expect(204);
        lost.error(409, "duplicate");
        let users = t
            .get(&users_path, Auth::Cookie(&s))
            .await
            .expect(200)
            .json();
        assert!(role_set(&users, &user.user_id).contains(&role.to_owned()));

        // Two identical revocations at once: one 204, one 404.
        if round == 0 {
            let path = format!("/api/v1/users/{}/roles/{role}", user.user_id);
            let (won, lost) = race(&t, &s, |t, s| {
                let path = path.clone();
                async move { t.delete(&path, Auth::Bearer(&s)).await }
            })
            .await;
            won.expect(204);
            lost.error(404, "not_found");
        }
    }
    let users = t
        .get(&users_path, Auth::Cookie(&s))
        .await
        .expect(200)
        .json();
    assert_eq!(
        role_set(&users, &user.user_id),
        ["approver", "case_officer"]
    );
    let granted = t.audit_of("role.granted").await;
    assert_eq!(granted.len(), 3, "one record per winning grant");
    assert!(
        granted
            .iter()
            .all(|r| r.payload["target_id"] == user.user_id.as_str())
    );
    assert_eq!(t.audit_of("role.revoked").await.len(), 1);

    // Two organisations with the same credit code at once: one 201, one 409.
    for (i, code) in ["914403001922038216", "91440300708461136T"]
        .into_iter()
        .enumerate()
    {
        let (won, lost) = race(&t, &s, move |t, s| async move {
            t.post(
                "/api/v1/organisations",
                Auth::Bearer(&s),
                &json!({ "name": format!("并发测试机构{i}"), "kind": "participant", "credit_code": code }),
            )
            .await
        })
        .await;
        won.expect(201);
        lost.error(409, "duplicate");
        let orgs = t
            .get("/api/v1/organisations", Auth::Cookie(&s))
            .await
            .expect(200)
            .json();
        let same: Vec<&Value> = orgs
            .as_array()
            .unwrap()
            .iter()
            .filter(|o| o["credit_code"] == code)
            .collect();
        assert_eq!(same.len(), 1);
        assert_eq!(same[0]["id"], won.json()["id"]);
    }
    // The operator above plus the two winners.
    assert_eq!(t.audit_of("org.created").await.len(), 3);

    t.assert_audit_log_verifies().await;
}
